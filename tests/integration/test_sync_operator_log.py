"""What an ops person reads in a sync task's log: one paragraph, and one line when it fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException

from ponton.demo.feeds import demo_feed
from ponton.demo.seed import seed
from ponton.narrative import compact, sync_paragraph
from ponton.operators.calendar import CalendarSyncOperator
from ponton.platform.schema import integration_journal
from ponton.sync.bindings import add_binding
from tests.fakes.ics_server import IcsServer

pytestmark = pytest.mark.integration


def ana_binding(db) -> int:
    return add_binding(
        db,
        provider="ics",
        source="ana-private-feed",
        resource="ana.martin",
        direction="import",
        policy="remote-wins",
        conn_id="ana_feed",
    )


def run_logged(operator, capsys, context=None) -> tuple[dict, str]:
    """Airflow's operator loggers are structlog loggers writing to stdout at INFO."""
    summary = operator.execute({} if context is None else context)
    return summary, capsys.readouterr().out


def test_sync_task_logs_one_paragraph_naming_the_binding_and_what_needs_a_person(
    platform_env, monkeypatch, capsys
):
    today = datetime.now(UTC).date()
    seed(platform_env, today)
    binding = ana_binding(platform_env)
    monkeypatch.setenv("PONTON_ICS_ALLOW_HOSTS", "127.0.0.1")
    with IcsServer() as server:
        url = server.publish("/ana/secret/basic.ics", demo_feed(today, "ana.martin"))
        monkeypatch.setenv("AIRFLOW_CONN_ANA_FEED", json.dumps({"extra": {"url": url}}))
        context: dict = {}
        summary, log = run_logged(
            CalendarSyncOperator(task_id="sync_binding", binding_id=binding), capsys, context
        )
    assert 0 not in summary.values() and "deleted" not in summary  # no zero noise in XCom
    # five foreign events (three appointments, a private one, a declined invitation), one edit
    assert f"binding {binding} (ICS feed → ana.martin): 5 created, 1 updated" in log
    assert "1 item queued for review (1 double booking), 0 refused" in log
    assert "Needs a person: #1 double booking" in log
    assert "ponton journal tail --integration calendar" in log and "secret" not in log
    assert context["ponton_label"] == f"binding {binding} (ICS feed → ana.martin) · 1 to review"


def test_unreadable_feed_fails_with_one_line_and_is_journaled(platform_env, monkeypatch, capsys):
    seed(platform_env, datetime.now(UTC).date())
    binding = ana_binding(platform_env)
    # Loopback is not allow-listed: a permanent configuration error while listing.
    monkeypatch.setenv(
        "AIRFLOW_CONN_ANA_FEED", json.dumps({"extra": {"url": "http://127.0.0.1:9/x.ics"}})
    )
    capsys.readouterr()
    with pytest.raises(AirflowFailException) as failure:
        CalendarSyncOperator(task_id="sync_binding", binding_id=binding).execute({})
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    errors = [line for line in capsys.readouterr().out.splitlines() if "[error" in line]
    assert len(errors) == 1 and "Traceback" not in errors[0]
    assert f"binding {binding} (ICS feed → ana.martin), connection ana_feed: " in errors[0]
    assert str(failure.value).startswith(f"binding {binding} (ICS feed → ana.martin)")
    with platform_env.begin() as conn:
        rows = (
            conn.execute(
                sa.select(integration_journal).where(integration_journal.c.action == "list")
            )
            .mappings()
            .all()
        )
    assert [(r["outcome"], r["object_id"]) for r in rows] == [("error", str(binding))]


def test_dry_run_paragraph_says_nothing_was_written():
    text = sync_paragraph(
        {"binding": 4, "dry_run": True, "created": 2, "deleted": 1},
        title="binding 4 (Outlook calendar → salle-seine)",
    )
    assert text.startswith(
        "binding 4 (Outlook calendar → salle-seine): DRY RUN, nothing written; "
        "would have 2 created, 1 deleted; 0 items queued for review, 0 refused."
    )
    assert "Nothing needs a person" in text


def test_compact_summary_drops_zeros_but_keeps_ids_and_flags():
    assert compact({"binding": 2, "created": 0, "dry_run": True, "plan": [], "x": None}) == {
        "binding": 2,
        "dry_run": True,
    }
