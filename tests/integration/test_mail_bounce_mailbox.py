"""SMTP bounces end to end, on SQLite and PostgreSQL: notifications dispatched through a real relay
(aiosmtpd, offering DSN), the relay's reports dropped in a real IMAP mailbox (pymap), then
``ponton notifications reconcile`` folds them: the recipient's status, the suppression list, and
the next dispatch to that address."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.hooks.smtp_mail import SmtpMailHook
from ponton.journal import Journal
from ponton.mail import ledger, suppression
from ponton.mail.dispatch import dispatch_pending
from ponton.mail.reconcile import cursor_name, pull_provider_events
from ponton.platform.schema import notification_events, notification_recipients
from tests.fakes.bounce_reports import RelayWithMailbox, dsn
from tests.integration.test_mail_dispatch import add, rows
from tests.integration.test_mail_reconcile import pull_crashing_on_the_second_page

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    pair = RelayWithMailbox(tmp_path_factory.mktemp("bounces"))
    yield pair
    pair.stop()


@pytest.fixture
def relay(servers, platform_env, monkeypatch):
    servers.reset()
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(servers.connection()))
    return servers


def recipient_statuses(db, nid: int) -> dict[str, str]:
    table = notification_recipients
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.select(table.c.address, table.c.status).where(table.c.notification_id == nid)
        )
        return dict(found.all())


def reconcile(capsys) -> dict:
    capsys.readouterr()
    assert main(["notifications", "reconcile", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_bounce_reaches_the_recipient_and_the_suppression_list(relay, platform_env, capsys):
    [nid] = add(platform_env, to_recipients=["ana@example.com", "bruno@example.com"])
    assert main(["notifications", "dispatch"]) == 0
    [message_id] = [r["provider_message_id"] for r in rows(platform_env).values()]
    [(envelope_from, _)] = relay.handler.envelopes
    assert envelope_from == "bounces@ponton.example", "reports go to the bounce mailbox"
    assert relay.seen()[0]["raw"].count(b"From: Planning ponton <planning@ponton.example>") == 1
    relay.report(message_id, datetime.now(UTC).replace(microsecond=0), "bruno@example.com")
    reconcile(capsys)
    assert recipient_statuses(platform_env, nid) == {
        "ana@example.com": "sent",
        "bruno@example.com": "bounced",
    }
    with platform_env.begin() as conn:
        reasons = suppression.reasons_for(conn, ["bruno@example.com", "ana@example.com"])
    assert reasons == {"bruno@example.com": "on the suppression list: bounced (smtp)"}

    [again] = add(platform_env, to_recipients=["Bruno@Example.com"])
    assert main(["notifications", "dispatch"]) == 0
    assert rows(platform_env)[again]["status"] == "suppressed"
    assert len(relay.handler.messages) == 1, "nothing more handed to the relay"


def test_a_report_suppresses_only_an_address_a_message_of_ours_went_to(relay, platform_env):
    """Anyone can mail the envelope sender: a report naming no message of ours, or an address
    the message it names did not go to, is recorded but suppresses nobody (the forged-bounce
    attack BATV exists for)."""
    foreign = (
        b"From: Other system <other@ponton.example>\r\nTo: zoe@example.com\r\n"
        b"Subject: x\r\nMessage-ID: <legacy-1@ponton.example>\r\nDate: Tue, 17 Mar 2026 "
        b"09:00:00 +0000\r\n\r\nhi\r\n"
    )
    at = datetime.now(UTC).replace(microsecond=0)
    relay.imap.drop(dsn(foreign, "zoe@example.com", at), at)
    (nid,) = add(platform_env)
    assert main(["notifications", "dispatch"]) == 0
    (sent,) = relay.handler.messages
    relay.imap.drop(dsn(sent, "yann@example.com", at), at)
    backend = SmtpMailHook().get_conn()
    summary = pull_provider_events(platform_env, backend, Journal(platform_env))
    assert (summary["events"], summary["unmatched"]) == (2, 1)
    assert suppression.entries(platform_env) == []
    assert rows(platform_env)[nid]["status"] == "sent"


def test_paging_resumes_after_a_crash_between_pages_and_a_repeat_changes_nothing(
    relay, platform_env
):
    ids = add(platform_env, 5)
    backend = relay.backend(page_size=2)
    assert dispatch_pending(platform_env, backend, Journal(platform_env)).sent == 5
    start = datetime.now(UTC).replace(microsecond=0)
    for i, nid in enumerate(ids):
        relay.report(rows(platform_env)[nid]["provider_message_id"], start + timedelta(seconds=i))
    relay.imap.drop(b"From: someone@example.com\r\nSubject: hello\r\n\r\nhi\r\n", start)

    calls = pull_crashing_on_the_second_page(platform_env, backend)
    stored = ledger.read_cursor(platform_env, cursor_name(backend))
    assert stored is not None and stored == calls[1], "the first page's cursor was kept"
    assert sum(r["status"] == "bounced" for r in rows(platform_env).values()) == 2

    summary = pull_provider_events(platform_env, backend, Journal(platform_env))
    assert (summary["pages"], summary["more"], summary["ignored"]) == (2, False, 1)
    assert {rows(platform_env)[nid]["status"] for nid in ids} == {"bounced"}

    with platform_env.begin() as conn:  # every page read again, from the start
        ledger.write_cursor(conn, cursor_name(backend), None)
    repeat = pull_provider_events(platform_env, backend, Journal(platform_env))
    assert (repeat["events"], repeat["recorded"], repeat["updated"]) == (5, 0, 0)
    with platform_env.engine.connect() as conn:
        stored_events = conn.execute(
            sa.select(sa.func.count())
            .select_from(notification_events)
            .where(notification_events.c.status == "bounced")
        ).scalar()
    assert stored_events == 5, "every report folded once"
    assert len(suppression.entries(platform_env)) == 5
