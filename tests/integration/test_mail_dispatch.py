"""Dispatch against real peers: every notification is sent at most once, whatever fails when."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from ponton.errors import OutcomeUnknown, TransientError
from ponton.journal import Journal
from ponton.mail import ledger
from ponton.mail.dispatch import Dispatcher, dispatch_pending
from ponton.platform.schema import notifications
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
NOW = timedelta(0)


def add(db, count=1, **values) -> list[int]:
    rows = [
        {
            "to_recipients": [{"email": f"person{i}@example.com", "name": f"Person {i}"}],
            "subject": "Votre planning",
            "body_text": "Bonjour",
            "body_html": "<p>Bonjour</p>",
        }
        | values
        for i in range(count)
    ]
    with db.begin() as conn:
        result = conn.execute(notifications.insert().returning(notifications.c.id), rows)
        return [r.id for r in result]


def rows(db) -> dict[int, dict]:
    with db.engine.connect() as conn:
        return {r["id"]: dict(r) for r in conn.execute(sa.select(notifications)).mappings()}


def journal_actions(db) -> list[tuple[str, str, str]]:
    return [(e.action, e.outcome, e.object_id) for e in Journal(db).tail(100, integration="mail")]


def test_pending_notifications_go_out_once_with_receipts_and_journal(platform_db, mail_backend):
    backend = mail_backend("local")
    ids = add(platform_db, 3)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert summary.sent == 3
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).sent == 0
    assert backend.delivered_count() == 3
    stored = rows(platform_db)
    assert {stored[i]["status"] for i in ids} == {"delivered"}
    assert all(stored[i]["provider_message_id"] and stored[i]["attempts"] == 1 for i in ids)
    assert journal_actions(platform_db) == [("send", "ok", str(i)) for i in ids]


def test_an_invalid_address_fails_with_its_reason_and_the_others_still_go(
    platform_db, mail_backend
):
    backend = mail_backend("local")
    bad, good = add(platform_db, 1, to_recipients=["not-an-address"]), add(platform_db, 1)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.sent, summary.failed) == (1, 1)
    stored = rows(platform_db)
    assert stored[bad[0]]["status"] == "failed"
    assert "recipient address 'not-an-address' is not valid" in stored[bad[0]]["last_error"]
    assert stored[good[0]]["status"] == "delivered"
    assert ("send", "refused", str(bad[0])) in journal_actions(platform_db)


def test_a_one_megabyte_subject_fails_that_notification_only(sqlite_db, mail_backend):
    # PostgreSQL refuses such a row at insert (subject is VARCHAR(998)); SQLite stores anything.
    backend = mail_backend("local")
    (huge,) = add(sqlite_db, 1, subject="x" * 1_000_000)
    (fine,) = add(sqlite_db, 1)
    dispatch_pending(sqlite_db, backend.provider, Journal(sqlite_db))
    stored = rows(sqlite_db)
    assert (
        stored[huge]["status"] == "failed" and "1,000,000 characters" in stored[huge]["last_error"]
    )
    assert stored[fine]["status"] == "delivered"


def test_header_injection_from_platform_data_never_reaches_the_headers(platform_db, mail_backend):
    backend = mail_backend("local")
    add(
        platform_db,
        1,
        subject="Planning\r\nBcc: spy@attacker.test",
        to_recipients=[{"email": "ana@example.com", "name": "Ana\nX-Injected: yes"}],
    )
    dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    (path,) = backend.peer.glob("*.eml")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert str(msg["Subject"]) == "Planning Bcc: spy@attacker.test"


def test_a_permanent_refusal_fails_the_notification(platform_db, mail_backend):
    backend = mail_backend("smtp")
    (nid,) = add(platform_db)
    backend.peer.refuse_next(permanent=True)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert summary.failed == 1
    assert "550" in rows(platform_db)[nid]["last_error"]
    assert backend.delivered_count() == 0


def test_a_transient_refusal_releases_the_row_and_fails_the_try_for_a_retry(
    platform_db, mail_backend
):
    backend = mail_backend("postmark")
    (nid,) = add(platform_db)
    backend.peer.refuse_next(permanent=False, times=20)  # more than the hook's own retries
    with pytest.raises(TransientError, match="rate limit"):
        dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert rows(platform_db)[nid]["status"] == "pending"
    assert ("send", "error", str(nid)) in journal_actions(platform_db)
    backend.peer.refusals.clear()  # the rate limit lifts before Airflow's retry
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).sent == 1
    assert backend.delivered_count() == 1


def run_killed_child(kind, db, folder) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.integration.mail_crash_child", kind, db.url, str(folder)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "settled_as"),
    [
        ("local", "delivered"),
        ("postmark", "sent"),  # what the Messages API reports for it
        ("sendgrid", "queued"),
        ("sendgrid-webhooks-only", "review"),
        ("smtp", "review"),
    ],
)
def test_a_kill_between_acceptance_and_commit_never_sends_twice(
    platform_db, mail_backend, tmp_path, kind, settled_as
):
    backend = mail_backend(kind)
    first, second = add(platform_db, 2)
    run_killed_child(kind, platform_db, tmp_path / "mail")
    assert backend.delivered_count() == 1, "the provider took the first message"
    assert rows(platform_db)[first]["status"] == "sending", "its receipt was never committed"

    summary = Dispatcher(platform_db, backend.provider, Journal(platform_db), settle=NOW).run()

    assert backend.delivered_count() == 2, "the retry sent the second message only"
    stored = rows(platform_db)
    assert stored[first]["status"] == settled_as
    assert stored[second]["status"] != "pending"
    if settled_as == "review":
        assert summary.review == 1 and "cannot say" in stored[first]["last_error"]
        assert ("review", "conflict", str(first)) in journal_actions(platform_db)
    else:
        assert summary.recovered == 1 and stored[first]["provider_message_id"]
        assert ("recover", "changed", str(first)) in journal_actions(platform_db)


def test_a_retried_task_after_a_failed_receipt_commit_does_not_send_again(
    platform_env, mail_backend, monkeypatch
):
    from ponton.operators.mail import MailDispatchOperator

    backend = mail_backend("postmark")
    (nid,) = add(platform_env)
    context = {"run_id": "r1", "ti": SimpleNamespace(dag_id="ponton_mail_dispatch", task_id="send")}
    operator = MailDispatchOperator(task_id="send")
    real_record = ledger.record_receipt

    def database_blip(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE notifications", {}, Exception("server closed"))

    monkeypatch.setattr(ledger, "record_receipt", database_blip)
    with pytest.raises(sa.exc.OperationalError):
        operator.execute(context)  # try 1: the provider took it, the commit failed
    monkeypatch.setattr(ledger, "record_receipt", real_record)
    summary = MailDispatchOperator(task_id="send").execute(context)  # try 2, as Airflow retries
    assert (summary["recovered"], summary.get("sent", 0)) == (1, 0)  # zero counts are left out
    assert backend.delivered_count() == 1
    assert rows(platform_env)[nid]["status"] == "sent"  # as Postmark's message search says


def test_an_unknown_outcome_is_never_resent_over_smtp(platform_db, mail_backend):
    backend = mail_backend("smtp")
    (nid,) = add(platform_db)
    backend.peer.handler.drop_after_data = True
    with pytest.raises(OutcomeUnknown):
        dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert rows(platform_db)[nid]["status"] == "sending"
    backend.peer.handler.drop_after_data = False
    summary = Dispatcher(platform_db, backend.provider, Journal(platform_db), settle=NOW).run()
    assert (summary.review, summary.sent) == (1, 0)
    assert backend.delivered_count() == 1


def test_not_found_is_trusted_only_once_the_provider_search_has_settled(platform_db, mail_backend):
    backend = mail_backend("postmark")
    (nid,) = add(platform_db)
    with platform_db.begin() as conn:  # an attempt died before reaching Postmark
        assert ledger.claim_next_pending(conn, "attempt-1", "postmark")["id"] == nid
    early = Dispatcher(platform_db, backend.provider, Journal(platform_db)).run()
    assert (early.waiting, early.sent) == (1, 0)
    assert rows(platform_db)[nid]["status"] == "sending"
    late = Dispatcher(platform_db, backend.provider, Journal(platform_db), settle=NOW).run()
    assert (late.released, late.sent) == (1, 1)
    assert backend.delivered_count() == 1


def test_a_row_sent_through_another_provider_goes_to_review(platform_db, mail_backend):
    backend = mail_backend("postmark")
    (nid,) = add(platform_db)
    with platform_db.begin() as conn:
        assert ledger.claim_next_pending(conn, "attempt-1", "sendgrid")["id"] == nid
    summary = Dispatcher(platform_db, backend.provider, Journal(platform_db), settle=NOW).run()
    assert summary.review == 1
    assert "sent through sendgrid" in rows(platform_db)[nid]["last_error"]
    assert backend.delivered_count() == 0


def test_the_limit_bounds_one_run(platform_db, mail_backend):
    backend = mail_backend("local")
    add(platform_db, 5)
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db), limit=2).sent == 2
    assert ledger.status_counts(platform_db) == {"delivered": 2, "pending": 3}


def test_a_revoked_key_keeps_notifications_pending_and_stops_the_run(
    platform_db, mail_backend, monkeypatch
):
    from ponton.errors import ReauthorizationRequired
    from ponton.hooks.mail import get_mail_provider

    backend = mail_backend("sendgrid")
    first, second = add(platform_db, 2)
    revoked = backend.connection | {"password": "SG.revoked"}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(revoked))
    with pytest.raises(ReauthorizationRequired):
        dispatch_pending(platform_db, get_mail_provider(), Journal(platform_db))
    stored = rows(platform_db)
    assert (stored[first]["status"], stored[second]["status"]) == ("pending", "pending")
    assert "re-authorisation" in stored[first]["last_error"]
    assert ("send", "error", str(first)) in journal_actions(platform_db)
    assert backend.delivered_count() == 0
