"""Roadmap rendering: the PDF says what the platform DB holds, offline and reproducibly."""

from __future__ import annotations

import io
import socket
import time
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ponton.demo.seed import seed
from ponton.documents.render import _asset_fetcher, render_html, render_pdf
from ponton.documents.roadmap import load_roadmap, mission_codes
from ponton.errors import ConfigError, InvalidInputError
from ponton.platform.schema import missions

pytestmark = pytest.mark.unit
ANCHOR = date(2026, 3, 2)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_roadmap_pdf_shows_mission_team_milestones_and_absences(platform_db):
    seed(platform_db, ANCHOR)
    assert mission_codes(platform_db) == ["M-2026-014", "M-2026-021", "M-2026-030"]
    text = pdf_text(render_pdf(load_roadmap(platform_db, "M-2026-021")))
    assert "Rénovation du pont de Tolbiac" in text and "Ville de Paris" in text
    assert "Chloé Dubois" in text and "David Nguyen" in text
    assert "Visite de site" in text and "Semaine du 2 mars 2026" in text
    assert "Congés" in text and "Aucun conflit ouvert" in text


def test_same_data_renders_byte_identical_pdfs_even_a_day_later(sqlite_db, monkeypatch):
    seed(sqlite_db, ANCHOR)
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    first = render_pdf(roadmap)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400)
    assert render_pdf(roadmap) == first


def test_pdfa_variant_declares_conformance(sqlite_db):
    seed(sqlite_db, ANCHOR)
    data = render_pdf(load_roadmap(sqlite_db, "M-2026-030"), pdf_variant="pdf/a-3b")
    assert "pdfaid" in PdfReader(io.BytesIO(data)).xmp_metadata.rdf_root.toxml()
    with pytest.raises(ConfigError, match="PDF variant"):
        render_pdf(load_roadmap(sqlite_db, "M-2026-030"), pdf_variant="pdf/x")


def test_script_and_external_image_in_mission_text_print_as_text_offline(sqlite_db, monkeypatch):
    seed(sqlite_db, ANCHOR)
    hostile = '<script>alert(1)</script><img src="http://198.51.100.7/track.png">'
    with sqlite_db.begin() as conn:
        conn.execute(
            sa.update(missions).where(missions.c.code == "M-2026-014").values(description=hostile)
        )
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    assert "&lt;script&gt;" in render_html(roadmap) and "<script>" not in render_html(roadmap)

    def no_network(*args, **kwargs):
        raise AssertionError(f"network access while rendering: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    text = pdf_text(render_pdf(roadmap))
    assert "<script>alert(1)</script>" in text and "198.51.100.7" in text


def test_url_fetcher_serves_package_assets_only(tmp_path):
    from ponton.documents.render import TEMPLATES

    fetcher = _asset_fetcher((TEMPLATES,))
    assert b"@page" in fetcher.fetch((TEMPLATES / "roadmap.css").as_uri()).read()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    for url in ("http://198.51.100.7/x.png", secret.as_uri(), "data:text/plain,x"):
        with pytest.raises(ValueError, match="offline"):
            fetcher.fetch(url)


def test_unknown_mission_and_broken_template_are_clear_errors(sqlite_db, tmp_path):
    seed(sqlite_db, ANCHOR)
    with pytest.raises(InvalidInputError, match="'M-404' does not exist"):
        load_roadmap(sqlite_db, "M-404")
    (tmp_path / "roadmap.html.j2").write_text("{{ roadmap.nope }}")
    with pytest.raises(InvalidInputError, match="template for mission M-2026-014 failed"):
        render_html(load_roadmap(sqlite_db, "M-2026-014"), template_dir=tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        render_html(load_roadmap(sqlite_db, "M-2026-014"), template_dir=tmp_path / "missing")


def test_custom_template_folder_overrides_the_packaged_one(sqlite_db, tmp_path):
    seed(sqlite_db, ANCHOR)
    (tmp_path / "roadmap.html.j2").write_text("<h1>{{ roadmap.code }} maison</h1>")
    assert render_html(load_roadmap(sqlite_db, "M-2026-014"), template_dir=tmp_path) == (
        "<h1>M-2026-014 maison</h1>"
    )
