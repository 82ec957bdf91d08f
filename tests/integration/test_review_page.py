"""The conflict review page: what a reviewer sees and what their click does (no Airflow needed:
the page takes its auth as dependencies, as the plugin passes Airflow's)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from ponton.demo.seed import seed
from ponton.platform.schema import conflicts, integration_journal
from ponton.review.app import create_review_app
from ponton.sync.bindings import add_binding

pytestmark = pytest.mark.integration


def signed_in(request: Request) -> str:
    """Stands for Airflow's auth: a user named by a header, anonymous refused (401)."""
    name = request.headers.get("x-user")
    if not name:
        raise HTTPException(status_code=401, detail="Not authenticated")
    return name


def may_resolve(request: Request) -> None:
    if request.headers.get("x-user") == "viewer":
        raise HTTPException(status_code=403, detail="Forbidden")


@pytest.fixture
def queue(platform_env):
    seed(platform_env, date(2026, 3, 2))
    binding = add_binding(
        platform_env,
        provider="caldav",
        source="https://dav.example/chloe/",
        resource="chloe.dubois",
        direction="both",
        policy="manual",
        conn_id="dav",
    )
    rows = [
        {
            "kind": "edit_edit",
            "platform_uid": "M-2026-021-w1-chloe.dubois@demo.ponton",
            "remote_id": "w1.ics",
            "platform_version": {"summary": "Atelier", "start": "2026-03-03T14:00", "hash": "a"},
            "remote_version": {
                "summary": "Atelier déplacé",
                "start": "2026-03-03T14:00",
                "hash": "b",
                "etag": "e1",
            },
        },
        {
            "kind": "double_booking",
            "platform_uid": "w2@demo.ponton",
            "remote_id": "dentist.ics",
            "platform_version": {
                "origin": "planning",
                "ref": "M-2026-021-w0-chloe.dubois@demo.ponton",
                "start": "2026-03-04T14:00",
                "end": "2026-03-04T17:00",
            },
            "remote_version": {
                "origin": "imported",
                "ref": "dentist.ics",
                "start": "2026-03-04T15:00",
                "end": "2026-03-04T16:00",
            },
        },
        {
            "kind": "refused",
            "platform_uid": "w3@demo.ponton",
            "platform_version": {
                "summary": "Revue",
                "start": "2026-03-05T11:00",
                "hash": "c",
                "reason": "the calendar does not accept events without a title",
            },
        },
    ]
    with platform_env.begin() as conn:
        for n, row in enumerate(rows):
            conn.execute(conflicts.insert().values(fingerprint=f"f{n}", binding_id=binding, **row))
        ids = conn.execute(sa.select(conflicts.c.id).order_by(conflicts.c.id)).scalars().all()
    return platform_env, ids


def client(db) -> TestClient:
    app = create_review_app(user_name=signed_in, may_resolve=may_resolve, platform_db=lambda: db)
    return TestClient(app, base_url="http://airflow.test")


def test_page_shows_each_kind_side_by_side_with_changed_fields_marked(queue):
    db, (edit, *_rest) = queue
    page = client(db).get("/conflicts", headers={"x-user": "admin"})
    assert page.status_code == 200
    html = page.text
    assert f'id="conflict-{edit}"' in html and "Atelier déplacé" in html
    assert '<tr class="changed"><td class="field">summary</td>' in html
    assert '<tr class=""><td class="field">start</td>' in html  # unchanged: not highlighted
    assert "platform planning « Rénovation du pont de Tolbiac — atelier »" in html
    assert "does not accept events without a title" in html
    assert 'value="platform"' in html and 'value="remote"' in html and 'value="dismiss"' in html


def test_instants_in_any_stored_form_read_alike_in_the_resources_zone(queue):
    """Edit conflicts keep canonical UTC, double bookings ISO with the peer's offset: the page
    shows both in the resource's zone (Chloé: Europe/Paris), a date without time or zone."""
    db, (edit, *_rest) = queue
    with db.begin() as conn:
        binding = conn.execute(
            sa.select(conflicts.c.binding_id).where(conflicts.c.id == edit)
        ).scalar()
        conn.execute(
            conflicts.insert(),
            [
                {
                    "binding_id": binding,
                    "fingerprint": "mixed",
                    "kind": "edit_edit",
                    "platform_uid": "w9@demo.ponton",
                    "platform_version": {"summary": "Revue", "start": "20260303T130000Z"},
                    "remote_version": {"summary": "Revue", "start": "2026-03-03T08:00:00-05:00"},
                },
                {
                    "binding_id": binding,
                    "fingerprint": "offsets",
                    "kind": "double_booking",
                    "platform_uid": "w8@demo.ponton",
                    "platform_version": {
                        "origin": "availability",
                        "start": "20260305",
                        "end": "20260306",
                    },
                    "remote_version": {
                        "origin": "imported",
                        "start": "2026-03-05T09:30:00+00:00",
                        "end": "2026-03-05T10:30:00+00:00",
                    },
                },
            ],
        )
        mixed = conn.execute(
            sa.select(conflicts.c.id).where(conflicts.c.fingerprint == "mixed")
        ).scalar()
    html = client(db).get("/conflicts", headers={"x-user": "admin"}).text
    card = html[html.index(f'id="conflict-{mixed}"') :]
    card = card[: card.index("</form>")]
    start = "Tue 3 Mar 2026 14:00 (Europe/Paris)"
    assert f'<tr class=""><td class="field">start</td><td>{start}</td><td>{start}</td>' in card
    assert "queued " in card and "(Europe/Paris)</p>" in card
    assert "event of the remote calendar, Thu 5 Mar 2026 10:30 → 11:30 (Europe/Paris)" in html
    assert "platform availability, Thu 5 Mar 2026 → Fri 6 Mar 2026" in html
    assert "20260303T130000Z" not in html and "+00:00" not in html and "-05:00" not in html


def test_resolving_keeps_a_side_and_journals_the_reviewer(queue):
    db, (edit, double, _refused) = queue
    web = client(db)
    answer = web.post(f"/conflicts/{edit}", data={"action": "remote"}, headers={"x-user": "ana"})
    assert answer.status_code == 200 and f"Conflict #{edit} settled by ana" in answer.text
    assert f'id="conflict-{edit}"' not in answer.text
    web.post(f"/conflicts/{double}", data={"action": "dismiss"}, headers={"x-user": "ana"})
    with db.begin() as conn:
        statuses = dict(conn.execute(sa.select(conflicts.c.id, conflicts.c.resolution)).all())
        journal = conn.execute(sa.select(integration_journal.c.details)).scalars().all()
    assert statuses[edit] == "keep remote" and statuses[double] == "dismissed"
    assert {"kind": "edit_edit", "keep": "remote", "by": "ana"} in journal


def test_an_edit_conflict_cannot_be_dismissed(queue):
    db, (edit, *_rest) = queue
    answer = client(db).post(
        f"/conflicts/{edit}", data={"action": "dismiss"}, headers={"x-user": "ana"}
    )
    assert "keep platform or keep remote" in answer.text
    with db.begin() as conn:
        assert conn.execute(
            sa.select(conflicts.c.status).where(conflicts.c.id == edit)
        ).scalar() == ("open")


def test_anonymous_viewer_and_cross_site_requests_are_refused(queue):
    db, (edit, *_rest) = queue
    web = client(db)
    assert web.get("/conflicts").status_code == 401
    assert web.post(f"/conflicts/{edit}", data={"action": "remote"}).status_code == 401
    viewer = web.post(f"/conflicts/{edit}", data={"action": "remote"}, headers={"x-user": "viewer"})
    assert viewer.status_code == 403
    forged = web.post(
        f"/conflicts/{edit}",
        data={"action": "remote"},
        headers={"x-user": "ana", "origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    with db.begin() as conn:
        assert conn.execute(
            sa.select(conflicts.c.status).where(conflicts.c.id == edit)
        ).scalar() == ("open")


def test_journal_page_lists_the_rows_of_one_run(queue):
    db, (edit, *_rest) = queue
    web = client(db)
    web.post(f"/conflicts/{edit}", data={"action": "platform"}, headers={"x-user": "ana"})
    page = web.get("/journal", headers={"x-user": "ana"})
    assert "conflict_resolved" in page.text and "&#39;by&#39;: &#39;ana&#39;" in page.text
    empty = web.get("/journal", params={"run_id": "scheduled__x"}, headers={"x-user": "ana"})
    assert "No journal row for this run" in empty.text
