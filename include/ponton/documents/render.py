"""Roadmap rendering: sandboxed Jinja2 → HTML → WeasyPrint PDF, offline and reproducible.

* Mission text is data, never markup: autoescape everywhere and a sandbox that blocks attribute
  tricks, so a ``<script>`` or an ``<img src="http://…">`` typed into a mission shows as text.
* No network: the URL fetcher serves only files under this package's ``templates`` folder (and a
  custom template folder when one is given); anything else is refused and logged by WeasyPrint.
* Same data → same bytes: the only date printed is the edition's (given by the caller), a fixed
  PDF identifier derived from the HTML, no creation/modification date in the metadata.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ponton.documents.french import french_date, french_range, kind_label, role_label, status_label
from ponton.documents.roadmap import Edition, Roadmap
from ponton.documents.timeline import timeline_svg
from ponton.errors import ConfigError, InvalidInputError

TEMPLATES = Path(__file__).with_name("templates")
ROADMAP_TEMPLATE = "roadmap.html.j2"
PDF_VARIANTS = (None, "pdf/a-3b", "pdf/a-2b")


@lru_cache(maxsize=8)
def _environment(template_dir: str | None) -> ImmutableSandboxedEnvironment:
    folders = [template_dir] if template_dir else []
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(f) for f in [*folders, str(TEMPLATES)]]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fdate"] = french_date
    env.filters["period"] = french_range
    env.filters["status"] = status_label
    env.filters["role"] = role_label
    env.filters["kind"] = kind_label
    env.globals["timeline"] = timeline_svg
    return env


def render_html(
    roadmap: Roadmap, *, edition: Edition, template_dir: str | Path | None = None
) -> str:
    folder = str(Path(template_dir).resolve()) if template_dir else None
    if folder and not Path(folder).is_dir():
        raise ConfigError(f"roadmap template folder {folder} does not exist; create it or unset it")
    try:
        return (
            _environment(folder)
            .get_template(ROADMAP_TEMPLATE)
            .render(roadmap=roadmap, edition=edition)
        )
    except Exception as exc:
        raise InvalidInputError(
            f"roadmap template for mission {roadmap.code} failed: {type(exc).__name__}: {exc}; "
            "fix the template (see docs/roadmaps.md)"
        ) from exc


@contextmanager
def _fixed_font_timestamps() -> Iterator[None]:
    """fontTools stamps each embedded font subset with the current time unless
    ``SOURCE_DATE_EPOCH`` is set (the reproducible-builds convention); an operator's own value wins.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "946684800"
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _asset_fetcher(roots: tuple[Path, ...]):
    """A WeasyPrint URL fetcher limited to files under ``roots``: rendering stays offline."""
    from weasyprint.urls import URLFetcher

    class PackageAssetFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.removeprefix("file://").split("?")[0])).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"roadmap rendering is offline: {url!r} is not a packaged asset")

    return PackageAssetFetcher()


def render_pdf(
    roadmap: Roadmap,
    *,
    edition: Edition,
    pdf_variant: str | None = None,
    template_dir: str | Path | None = None,
) -> bytes:
    """The roadmap as PDF bytes; identical bytes for identical data and template."""
    if pdf_variant not in PDF_VARIANTS:
        raise ConfigError(
            f"PDF variant {pdf_variant!r} is not supported; use one of "
            f"{', '.join(str(v) for v in PDF_VARIANTS)}"
        )
    from weasyprint import HTML

    html = render_html(roadmap, edition=edition, template_dir=template_dir)
    roots = tuple(Path(p).resolve() for p in (template_dir, TEMPLATES) if p)
    document = HTML(
        string=html,
        base_url=f"{(Path(template_dir) if template_dir else TEMPLATES).resolve()}/",
        url_fetcher=_asset_fetcher(roots),
    ).render()
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    with _fixed_font_timestamps():
        return _write(document, pdf_variant, identifier)


def _write(document, pdf_variant: str | None, identifier: bytes) -> bytes:
    document.metadata.created = None
    document.metadata.modified = None
    return document.write_pdf(pdf_variant=pdf_variant, pdf_identifier=identifier)
