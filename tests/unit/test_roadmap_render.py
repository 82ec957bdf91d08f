"""Roadmap rendering: the PDF says what the platform DB holds, offline and reproducibly."""

from __future__ import annotations

import io
import socket
import time
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ponton.demo.seed import seed
from ponton.documents.render import _asset_fetcher, render_html, render_pdf
from ponton.documents.roadmap import Edition, load_roadmap, mission_codes
from ponton.documents.timeline import timeline_svg
from ponton.errors import ConfigError, InvalidInputError
from ponton.platform.schema import availability, missions, planning_events, resources

pytestmark = pytest.mark.unit
ANCHOR = date(2026, 3, 2)
EDITION = Edition(version=3, generated_on=date(2026, 3, 9))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_roadmap_pdf_shows_mission_team_milestones_and_absences(platform_db):
    seed(platform_db, ANCHOR)
    assert mission_codes(platform_db) == ["M-2026-014", "M-2026-021", "M-2026-030"]
    text = pdf_text(render_pdf(load_roadmap(platform_db, "M-2026-021"), edition=EDITION))
    assert "Rénovation du pont de Tolbiac" in text and "Ville de Paris" in text
    assert "Chloé Dubois" in text and "David Nguyen" in text
    assert "Visite de site" in text and "Semaine du 2 mars 2026" in text
    assert "Congés" in text and "Chloé Dubois (18 mars 2026, indisponible)" in text


def test_a_block_imported_from_a_personal_calendar_shows_as_unavailable_without_its_title(
    platform_db,
):
    seed(platform_db, ANCHOR)
    with platform_db.begin() as conn:
        chloe = conn.execute(
            sa.select(resources.c.id).where(resources.c.key == "chloe.dubois")
        ).scalar_one()
        conn.execute(
            availability.insert(),
            {
                "resource_id": chloe,
                "start_at": datetime(2026, 3, 4, 8, tzinfo=UTC),
                "end_at": datetime(2026, 3, 4, 9, tzinfo=UTC),
                "kind": "busy",
                "origin": "binding:7",
                "note": "Dentiste",
            },
        )
    text = pdf_text(render_pdf(load_roadmap(platform_db, "M-2026-021"), edition=EDITION))
    assert "Dentiste" not in text and "4 mars 2026" in text
    assert "Congés" in text  # what the platform itself holds keeps its label


def test_same_data_renders_byte_identical_pdfs_even_a_day_later(sqlite_db, monkeypatch):
    seed(sqlite_db, ANCHOR)
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    first = render_pdf(roadmap, edition=EDITION)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400)
    assert render_pdf(roadmap, edition=EDITION) == first


def test_pdfa_variant_declares_conformance(sqlite_db):
    seed(sqlite_db, ANCHOR)
    data = render_pdf(
        load_roadmap(sqlite_db, "M-2026-030"), pdf_variant="pdf/a-3b", edition=EDITION
    )
    assert "pdfaid" in PdfReader(io.BytesIO(data)).xmp_metadata.rdf_root.toxml()
    with pytest.raises(ConfigError, match="PDF variant"):
        render_pdf(load_roadmap(sqlite_db, "M-2026-030"), pdf_variant="pdf/x", edition=EDITION)


def test_script_and_external_image_in_mission_text_print_as_text_offline(sqlite_db, monkeypatch):
    seed(sqlite_db, ANCHOR)
    hostile = '<script>alert(1)</script><img src="http://198.51.100.7/track.png">'
    with sqlite_db.begin() as conn:
        conn.execute(
            sa.update(missions).where(missions.c.code == "M-2026-014").values(description=hostile)
        )
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    assert "&lt;script&gt;" in render_html(
        roadmap, edition=EDITION
    ) and "<script>" not in render_html(roadmap, edition=EDITION)

    def no_network(*args, **kwargs):
        raise AssertionError(f"network access while rendering: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    text = pdf_text(render_pdf(roadmap, edition=EDITION))
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
        render_html(load_roadmap(sqlite_db, "M-2026-014"), template_dir=tmp_path, edition=EDITION)
    with pytest.raises(ConfigError, match="does not exist"):
        render_html(
            load_roadmap(sqlite_db, "M-2026-014"),
            template_dir=tmp_path / "missing",
            edition=EDITION,
        )


def test_custom_template_folder_overrides_the_packaged_one(sqlite_db, tmp_path):
    seed(sqlite_db, ANCHOR)
    (tmp_path / "roadmap.html.j2").write_text("<h1>{{ roadmap.code }} maison</h1>")
    assert render_html(
        load_roadmap(sqlite_db, "M-2026-014"), template_dir=tmp_path, edition=EDITION
    ) == ("<h1>M-2026-014 maison</h1>")


def add_phase(db, code: str, summary: str, start: date, end: date, who: str = "Bruno Leroy"):
    """An all-day phase of ``code`` for ``who``, from ``start`` to ``end`` inclusive."""
    with db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == code)).scalar()
        resource_id = conn.execute(
            sa.select(resources.c.id).where(resources.c.name == who)
        ).scalar()
        conn.execute(
            planning_events.insert(),
            {
                "uid": f"{summary}@test",
                "resource_id": resource_id,
                "mission_id": mission_id,
                "summary": summary,
                "kind": "phase",
                "all_day": True,
                "start_date": start,
                "end_date": end + timedelta(days=1),
                "timezone": "Europe/Paris",
            },
        )


def test_roadmap_pdf_speaks_french_and_prints_its_edition_on_every_page(platform_db):
    seed(platform_db, ANCHOR)
    data = render_pdf(load_roadmap(platform_db, "M-2026-014"), edition=EDITION)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) >= 2
    for page in pages:
        assert "version 3 du 9 mars 2026" in page and "Feuille de route M-2026-014" in page
    text = "\n".join(pages)
    assert "en cours" in text and "chef de mission" in text and "atelier" in text
    for raw in ("active", "lead", "workshop", "site_visit", "ponton conflicts"):
        assert raw not in text
    # The detail table's header is repeated on its continuation page.
    assert "Intervenants" in pages[-1] and "Période" in pages[-1]


def test_timeline_has_one_bar_per_phase_spanning_its_full_range(sqlite_db):
    seed(sqlite_db, ANCHOR)
    add_phase(sqlite_db, "M-2026-014", "Diagnostic", date(2026, 3, 2), date(2026, 3, 20))
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    svg = ElementTree.fromstring(str(timeline_svg(roadmap)))
    bars = [
        (rect.get("data-start"), rect.get("data-end"))
        for rect in svg.iter("{http://www.w3.org/2000/svg}rect")
        if rect.get("class") == "phase"
    ]
    assert len(bars) == len(roadmap.phases) == 5  # four weekly workshops, one three-week phase
    assert ("2026-03-02", "2026-03-20") in bars
    assert ("2026-03-03", "2026-03-03") in bars  # the first workshop, both members on one bar
    text = pdf_text(render_pdf(roadmap, edition=EDITION))
    assert "2 → 20 mars 2026" in text and "Diagnostic" in text


def test_member_planned_while_unavailable_is_marked_as_a_clash(sqlite_db):
    seed(sqlite_db, ANCHOR)
    # Bruno Leroy is in training on Friday 6 March (seeded); plan him on a phase across it.
    add_phase(sqlite_db, "M-2026-014", "Relevés", date(2026, 3, 5), date(2026, 3, 9))
    roadmap = load_roadmap(sqlite_db, "M-2026-014")
    assert [(c.who, c.start, c.end, c.reason) for c in roadmap.clashes] == [
        ("Bruno Leroy", date(2026, 3, 6), date(2026, 3, 6), "indisponible")
    ]
    assert 'class="clash" data-start="2026-03-06"' in str(timeline_svg(roadmap))
    text = pdf_text(render_pdf(roadmap, edition=EDITION))
    assert "Bruno Leroy (6 mars 2026, indisponible)" in text


def test_two_renders_of_the_same_edition_are_byte_identical_and_the_edition_changes_them(
    sqlite_db,
):
    seed(sqlite_db, ANCHOR)
    roadmap = load_roadmap(sqlite_db, "M-2026-021")
    assert render_pdf(roadmap, edition=EDITION) == render_pdf(roadmap, edition=EDITION)
    later = Edition(version=4, generated_on=date(2026, 3, 16))
    assert render_pdf(roadmap, edition=later) != render_pdf(roadmap, edition=EDITION)
    assert "version 4 du 16 mars 2026" in pdf_text(render_pdf(roadmap, edition=later))
