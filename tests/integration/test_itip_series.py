"""iTIP messages on a weekly series, per series and per occurrence, through `ponton sync run`."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.platform.schema import planning_events, resources

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 3, 30, 9, tzinfo=UTC)
BRUNO = {"email": "bruno@example.com", "name": "Bruno", "partstat": "ACCEPTED"}
CLARA = {"email": "clara@example.com", "name": "Clara", "partstat": "ACCEPTED"}


@pytest.fixture
def series(platform_env, tmp_path, capsys):
    with platform_env.begin() as conn:
        rid = conn.execute(
            resources.insert().values(key="ana", name="Ana").returning(resources.c.id)
        ).scalar_one()
        conn.execute(
            planning_events.insert().values(
                uid="weekly@ponton",
                resource_id=rid,
                summary="Weekly review",
                location="Room 4",
                start_at=MONDAY,
                end_at=MONDAY + timedelta(hours=1),
                recurrence="RRULE:FREQ=WEEKLY;COUNT=10",
                attendees=[BRUNO, CLARA],
                sequence=2,
            )
        )
    message = tmp_path / "itip.ics"

    def receive(method: str, *components: str) -> dict:
        body = "".join(f"BEGIN:VEVENT\nUID:weekly@ponton\n{c}END:VEVENT\n" for c in components)
        message.write_text(
            f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nMETHOD:{method}\n{body}"
            "END:VCALENDAR\n"
        )
        assert (
            main(
                [
                    "bindings",
                    "add",
                    "--provider",
                    "ics",
                    "--source",
                    str(message),
                    "--resource",
                    "ana",
                ]
            )
            == 0
        )
        binding = capsys.readouterr().out.strip()
        assert main(["sync", "run", binding, "--json"]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    return platform_env, receive


def rows(db):
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.select(planning_events).order_by(planning_events.c.recurrence_id)
        ).mappings()
        return {r["recurrence_id"]: dict(r) for r in found}


def partstats(row):
    return {a["email"]: a["partstat"] for a in row["attendees"]}


def test_reply_for_one_occurrence_changes_only_that_occurrence(series):
    db, receive = series
    result = receive(
        "REPLY",
        "RECURRENCE-ID:20260406T090000Z\nATTENDEE;PARTSTAT=DECLINED:mailto:bruno@example.com\n",
    )
    assert result["replies"] == 1
    stored = rows(db)
    assert partstats(stored[""]) == {
        "bruno@example.com": "ACCEPTED",
        "clara@example.com": "ACCEPTED",
    }
    occurrence = stored["20260406T090000Z"]
    assert partstats(occurrence)["bruno@example.com"] == "DECLINED"
    assert occurrence["start_at"] == datetime(2026, 4, 6, 9, tzinfo=UTC)
    assert (occurrence["summary"], occurrence["location"]) == ("Weekly review", "Room 4")


def test_reply_for_the_series_changes_the_master(series):
    db, receive = series
    receive("REPLY", "ATTENDEE;PARTSTAT=TENTATIVE:mailto:Clara@Example.com\n")
    assert partstats(rows(db)[""])["clara@example.com"] == "TENTATIVE"


def test_minimal_cancel_of_one_occurrence_cancels_only_it(series):
    db, receive = series
    result = receive("CANCEL", "SEQUENCE:3\nRECURRENCE-ID:20260413T090000Z\n")
    assert result["platform_updated"] == 1 and result["rejected"] == 0
    stored = rows(db)
    assert stored[""]["status"] == "confirmed" and stored[""]["summary"] == "Weekly review"
    cancelled = stored["20260413T090000Z"]
    assert (cancelled["status"], cancelled["summary"]) == ("cancelled", "Weekly review")
    assert cancelled["end_at"] - cancelled["start_at"] == timedelta(hours=1)


def test_minimal_cancel_of_the_series_keeps_every_field_it_does_not_carry(series):
    db, receive = series
    result = receive("CANCEL", "SEQUENCE:3\n")
    assert result["platform_updated"] == 1 and result["rejected"] == 0
    (master,) = rows(db).values()
    assert master["status"] == "cancelled" and master["sequence"] == 3
    assert (master["summary"], master["location"]) == ("Weekly review", "Room 4")
    assert master["end_at"] - master["start_at"] == timedelta(hours=1)
    assert partstats(master) == {"bruno@example.com": "ACCEPTED", "clara@example.com": "ACCEPTED"}


def test_cancel_with_a_bare_dtstart_does_not_overwrite_the_event(series):
    db, receive = series
    receive("CANCEL", "SEQUENCE:3\nDTSTART:20260330T090000Z\n")
    (master,) = rows(db).values()
    assert master["status"] == "cancelled"
    assert master["summary"] == "Weekly review" and len(master["attendees"]) == 2
    assert master["end_at"] == MONDAY + timedelta(hours=1)


def test_request_with_a_higher_sequence_updates_and_an_older_one_does_not(series):
    db, receive = series
    stale = "SEQUENCE:2\nDTSTART:20260330T100000Z\nDTEND:20260330T110000Z\nSUMMARY:Old\n"
    assert receive("REQUEST", stale)["platform_updated"] == 0
    assert rows(db)[""]["summary"] == "Weekly review"
    newer = (
        "SEQUENCE:5\nDTSTART:20260330T100000Z\nDTEND:20260330T110000Z\nSUMMARY:Weekly review 2\n"
        "RRULE:FREQ=WEEKLY;COUNT=10\n"
    )
    assert receive("REQUEST", newer)["platform_updated"] == 1
    master = rows(db)[""]
    assert (master["summary"], master["sequence"]) == ("Weekly review 2", 5)
    assert master["start_at"] == MONDAY + timedelta(hours=1)


def test_this_and_future_is_refused_with_a_clear_message(series, capsys):
    db, receive = series
    result = receive(
        "REQUEST",
        "SEQUENCE:5\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260406T090000Z\n"
        "DTSTART:20260406T100000Z\nDTEND:20260406T110000Z\nSUMMARY:Later\n",
    )
    assert result["rejected"] == 1 and result["platform_updated"] == 0
    assert list(rows(db)) == [""]
    assert main(["journal", "tail", "--json", "--outcome", "skipped"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert "THISANDFUTURE" in row["details"]["errors"][0]
    assert "split the series" in row["details"]["errors"][0]
