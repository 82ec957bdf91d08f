"""ICS feeds and CalDAV bound through the real registry and sync engine (`ponton sync run`)."""

import json
from datetime import UTC, date, datetime, timedelta

import caldav
import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.demo.feeds import EDITED_UID, demo_feed
from ponton.demo.seed import seed
from ponton.platform.schema import planning_events
from tests.fakes.ics_server import IcsServer
from tests.fakes.radicale_server import RadicaleServer

pytestmark = pytest.mark.integration


def run_json(capsys, *argv):
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def bind(capsys, *argv) -> str:
    assert main(["bindings", "add", *argv]) == 0
    return capsys.readouterr().out.strip()


def test_demo_feed_over_http_updates_planning_and_reports_a_double_booking(
    platform_env, capsys, monkeypatch
):
    today = datetime.now(UTC).date()
    seed(platform_env, today)
    with IcsServer() as server:
        url = server.publish("/ana/private-token/basic.ics", demo_feed(today, "ana.martin"))
        monkeypatch.setenv("AIRFLOW_CONN_ANA_FEED", json.dumps({"extra": {"url": url}}))
        binding = bind(
            capsys,
            "--provider",
            "ics",
            "--source",
            "ana-private-feed",
            "--resource",
            "ana.martin",
            "--policy",
            "remote-wins",
            "--conn-id",
            "ana_feed",
        )
        # Loopback is refused until the installation allow-lists it.
        assert main(["sync", "run", binding, "--json"]) == 2
        assert "private-token" not in capsys.readouterr().err
        monkeypatch.setenv("PONTON_ICS_ALLOW_HOSTS", "127.0.0.1")
        first = run_json(capsys, "sync", "run", binding, "--json")
        again = run_json(capsys, "sync", "run", binding, "--json")
    assert first["updated"] == 1 and first["double_bookings"] == 1
    assert again["full_listing"] is False and again["created"] == again["updated"] == 0
    with platform_env.begin() as conn:
        summary = conn.execute(
            sa.select(planning_events.c.summary).where(planning_events.c.uid == EDITED_UID)
        ).scalar_one()
    assert "décalé" in summary


def test_caldav_binding_syncs_both_ways_with_radicale(platform_env, capsys, monkeypatch):
    seed(platform_env, date(2026, 11, 23))
    with RadicaleServer() as radicale:
        client = caldav.DAVClient(radicale.url, username="ana", password="x", require_tls=False)
        made = client.principal().make_calendar(name="Ana", cal_id="ana")
        monkeypatch.setenv(
            "AIRFLOW_CONN_ANA_DAV",
            json.dumps({"login": "ana", "password": "x", "extra": {"allow_hosts": "127.0.0.1"}}),
        )
        binding = bind(
            capsys,
            "--provider",
            "caldav",
            "--source",
            str(made.url),
            "--resource",
            "ana.martin",
            "--direction",
            "both",
            "--conn-id",
            "ana_dav",
        )
        first = run_json(capsys, "sync", "run", binding, "--json")
        again = run_json(capsys, "sync", "run", binding, "--json")
        stored = made.events()
    assert first["remote_created"] > 0 and len(stored) == first["remote_created"]
    assert again["remote_created"] == again["remote_updated"] == 0


def test_reply_updates_attendee_status_and_bad_components_are_journaled(
    platform_env, capsys, tmp_path
):
    from tests.conftest import ROOT

    seed(platform_env, date(2026, 3, 2))
    with platform_env.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == "M-2026-014-w0-ana.martin@demo.ponton")
            .values(attendees=[{"email": "bruno.leroy@example.com", "partstat": "ACCEPTED"}])
        )
    feed = tmp_path / "reply.ics"
    reply = (ROOT / "tests/fixtures/ics/reply.ics").read_text()
    broken = "BEGIN:VEVENT\nUID:broken@x\nDTSTART:not-a-date\nEND:VEVENT\n"
    feed.write_text(reply.replace("END:VCALENDAR", broken + "END:VCALENDAR"))
    binding = bind(capsys, "--provider", "ics", "--source", str(feed), "--resource", "ana.martin")
    result = run_json(capsys, "sync", "run", binding, "--json")
    assert result["replies"] == 1 and result["rejected"] == 1
    with platform_env.begin() as conn:
        attendees = conn.execute(
            sa.select(planning_events.c.attendees).where(
                planning_events.c.uid == "M-2026-014-w0-ana.martin@demo.ponton"
            )
        ).scalar_one()
    assert attendees == [{"email": "bruno.leroy@example.com", "partstat": "DECLINED"}]
    assert main(["journal", "tail", "--json", "--outcome", "skipped"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["action"] == "rejected_components" and "broken@x" in row["details"]["errors"][0]


def test_cancel_marks_the_planning_event_cancelled_and_leaves_the_rest(
    platform_env, capsys, tmp_path
):
    seed(platform_env, date(2026, 3, 2))
    feed = tmp_path / "cancel.ics"
    feed.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nMETHOD:CANCEL\nBEGIN:VEVENT\n"
        "UID:M-2026-014-w0-ana.martin@demo.ponton\nDTSTAMP:20260305T000000Z\n"
        "DTSTART:20260303T130000Z\nDTEND:20260303T160000Z\nSUMMARY:Audit énergétique — Lycée "
        "Jules Ferry — atelier\nLOCATION:Paris 11e\nSEQUENCE:1\nSTATUS:CANCELLED\nEND:VEVENT\n"
        "END:VCALENDAR\n"
    )
    binding = bind(
        capsys,
        "--provider",
        "ics",
        "--source",
        str(feed),
        "--resource",
        "ana.martin",
        "--policy",
        "remote-wins",
    )
    result = run_json(capsys, "sync", "run", binding, "--json")
    assert result["full_listing"] is False and result["platform_deleted"] == 0
    with platform_env.begin() as conn:
        statuses = dict(
            conn.execute(sa.select(planning_events.c.uid, planning_events.c.status)).all()
        )
    assert statuses["M-2026-014-w0-ana.martin@demo.ponton"] == "cancelled"
    assert sorted(set(statuses.values())) == ["cancelled", "confirmed"]


def test_uid_less_holiday_feed_imports_and_an_edit_is_seen_as_an_edit(
    platform_env, capsys, tmp_path
):
    today = datetime.now(UTC).date()
    seed(platform_env, today)
    days = [today + timedelta(days=offset) for offset in (3, 10, 40)]

    def holidays(description: str, stamp: str) -> str:
        events = "".join(
            f"BEGIN:VEVENT\nDTSTAMP:{stamp}\nDTSTART;VALUE=DATE:{day:%Y%m%d}\n"
            f"SUMMARY:Holiday {n}\nDESCRIPTION:{description}\nRRULE:\nEND:VEVENT\n"
            for n, day in enumerate(days)
        )
        return f"BEGIN:VCALENDAR\nPRODID:-//holiday script//EN\n{events}END:VCALENDAR\n"

    feed = tmp_path / "holidays.ics"
    feed.write_text(holidays("public holiday", "20260101T000000Z"))
    binding = bind(capsys, "--provider", "ics", "--source", str(feed), "--resource", "ana.martin")
    first = run_json(capsys, "sync", "run", binding, "--json")
    edited = holidays("public holiday", "20260301T000000Z").replace("y\nRRULE", "y!\nRRULE", 1)
    feed.write_text(edited)
    again = run_json(capsys, "sync", "run", binding, "--json")
    assert first["foreign_created"] == 3  # nothing skipped: three UIDs derived, RRULE: ignored
    assert again["foreign_created"] == 0 and again["foreign_updated"] == 1
    assert main(["journal", "tail", "--json", "--outcome", "changed"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r["action"] == "derived_uids"]
    assert [row["details"]["count"] for row in rows] == [3, 1]  # then only the edited block


def test_an_event_removed_from_a_large_feed_is_deleted_without_a_full_listing(
    platform_env, capsys, tmp_path
):
    today = datetime.now(UTC).date()
    seed(platform_env, today)

    def feed(days: list[int]) -> str:
        events = "".join(
            f"BEGIN:VEVENT\nUID:match-{n}@club\nDTSTAMP:20260101T000000Z\n"
            f"DTSTART;VALUE=DATE:{today + timedelta(days=n):%Y%m%d}\nSUMMARY:Match {n}\n"
            "END:VEVENT\n"
            for n in days
        )
        return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//club//EN\n{events}END:VCALENDAR\n"

    path = tmp_path / "club.ics"
    path.write_text(feed(list(range(1, 41))))
    binding = bind(capsys, "--provider", "ics", "--source", str(path), "--resource", "ana.martin")
    first = run_json(capsys, "sync", "run", binding, "--json")
    path.write_text(feed([n for n in range(1, 41) if n != 7]))
    again = run_json(capsys, "sync", "run", binding, "--json")
    assert first["foreign_created"] == 40
    assert again["full_listing"] is False
    assert again["foreign_deleted"] == 1 and again["foreign_created"] == 0
