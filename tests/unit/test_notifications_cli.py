import json
from datetime import UTC, datetime

import sqlalchemy as sa

from ponton.cli import main
from ponton.journal import Journal
from ponton.mail import ledger
from ponton.mail.status import StatusEvent
from ponton.platform.schema import notifications

T0 = datetime(2026, 3, 16, 9, tzinfo=UTC)


def add(db, **values) -> int:
    with db.begin() as conn:
        return conn.execute(
            notifications.insert().returning(notifications.c.id),
            {"to_recipients": ["ana@example.com"], "subject": "Planning"} | values,
        ).scalar_one()


def test_status_lists_counts_and_rows(platform_env, capsys):
    add(platform_env, status="delivered", status_at=T0, provider="postmark")
    add(platform_env, status="review", last_error="smtp cannot say")
    assert main(["notifications", "status"]) == 0
    out = capsys.readouterr().out
    assert "delivered: 1  review: 1" in out and "smtp cannot say" in out
    assert main(["notifications", "status", "--status", "review", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in payload["notifications"]] == ["review"]


def test_status_of_one_notification_tells_its_story(platform_env, capsys):
    nid = add(platform_env, status="sending")
    ledger.fold_events(
        platform_env,
        [
            StatusEvent(
                "sendgrid",
                "e1",
                "delivered",
                T0,
                nid,
                event="delivered",
                details={"response": "250 OK"},
            )
        ],
    )
    assert main(["notifications", "status", str(nid)]) == 0
    out = capsys.readouterr().out
    assert "delivered" in out and "250 OK" in out
    assert main(["notifications", "status", str(nid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"][0]["event"] == "delivered"


def test_an_unknown_id_exits_2_with_one_line(platform_env, capsys):
    assert main(["notifications", "status", "999"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_resolve_settles_a_review_row_and_journals_it(platform_env, capsys):
    went_out = add(platform_env, status="review")
    did_not = add(platform_env, status="review", attempt_id="a1")
    assert main(["notifications", "resolve", str(went_out), "--sent"]) == 0
    assert main(["notifications", "resolve", str(did_not), "--resend"]) == 0
    with platform_env.engine.connect() as conn:
        statuses = dict(conn.execute(sa.select(notifications.c.id, notifications.c.status)).all())
    assert statuses == {went_out: "sent", did_not: "pending"}
    actions = [(e.action, e.details["as"]) for e in Journal(platform_env).tail(integration="mail")]
    assert actions == [("resolve", "sent"), ("resolve", "resend")]


def test_resolve_refuses_rows_that_are_not_under_review(platform_env, capsys):
    nid = add(platform_env, status="delivered")
    assert main(["notifications", "resolve", str(nid), "--resend"]) == 2
    assert "only 'review' rows" in capsys.readouterr().err


def test_dispatch_and_reconcile_print_integer_counts_and_the_provider(
    platform_env, tmp_path, monkeypatch, capsys
):
    capture = {"conn_type": "ponton_local_mail", "extra": {"folder": str(tmp_path / "mail")}}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(capture))
    add(platform_env, body_text="Bonjour")
    assert main(["notifications", "dispatch", "--json"]) == 0
    sent = json.loads(capsys.readouterr().out)
    assert sent["provider"] == "local"
    assert [sent[k] for k in ("sent", "failed", "suppressed", "review")] == [1, 0, 0, 0]
    assert main(["notifications", "reconcile", "--json"]) == 0
    reconciled = json.loads(capsys.readouterr().out)
    assert reconciled["pull"]["events"] == 1 and reconciled["webhooks"]["events"] == 0


def test_dispatch_without_a_mail_connection_exits_non_zero_naming_it(
    platform_env, monkeypatch, capsys
):
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
    add(platform_env, body_text="Bonjour")
    assert main(["notifications", "dispatch", "--json"]) == 2
    assert "'ponton_mail' cannot be resolved" in capsys.readouterr().err
    assert ledger.status_counts(platform_env) == {"pending": 1}
