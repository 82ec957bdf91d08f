"""The failure notifier every ponton DAG carries, and the mail operators run as Airflow would."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ponton.journal import Journal
from ponton.operators.notifier import PontonFailureNotifier

pytestmark = pytest.mark.dags


def failure_context(try_number=2):
    ti = SimpleNamespace(
        dag_id="ponton_mail_dispatch",
        task_id="send_pending_notifications",
        run_id="scheduled__2026-03-16",
        try_number=try_number,
        log_url="http://airflow.local/log?x=1",
    )
    return {"ti": ti, "run_id": ti.run_id, "exception": RuntimeError("relay <down> & out")}


@pytest.fixture
def home(tmp_path, monkeypatch, platform_env):
    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    # Local capture into PONTON_HOME/mail, chosen explicitly as the demo does.
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps({"conn_type": "ponton_local_mail"}))
    monkeypatch.delenv("PONTON_OPS_EMAIL", raising=False)
    return tmp_path


def logged(capsys) -> str:
    """Airflow's task logging (structlog) writes to the captured standard streams."""
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_without_a_recipient_the_notifier_only_logs(home, capsys):
    PontonFailureNotifier()(failure_context())
    assert "no ops recipient configured" in logged(capsys)
    assert not (home / "mail").exists()


def test_a_failure_is_mailed_to_ops_through_the_shared_provider(home, monkeypatch, platform_env):
    monkeypatch.setenv("PONTON_OPS_EMAIL", "ops@ponton.example, oncall@ponton.example")
    PontonFailureNotifier()(failure_context())
    from email import message_from_bytes, policy

    mails = sorted((home / "mail").glob("*.eml"))
    assert len(mails) == 2
    msg = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    # strip(): Python's parser keeps the space of a fold right after "Subject:", mail clients do not
    assert str(msg["Subject"]).strip() == (
        "[ponton] ponton_mail_dispatch.send_pending_notifications failed (try 2)"
    )
    assert "relay <down> & out" in msg.get_body(("plain",)).get_content()
    assert "relay &lt;down&gt; &amp; out" in msg.get_body(("html",)).get_content()
    alerts = [e for e in Journal(platform_env).tail(integration="mail") if e.action == "alert"]
    assert len(alerts) == 2 and alerts[0].dag_id == "ponton_mail_dispatch"


def test_the_same_failure_keeps_the_same_message_id(home, monkeypatch):
    monkeypatch.setenv("PONTON_OPS_EMAIL", "ops@ponton.example")
    PontonFailureNotifier()(failure_context())
    PontonFailureNotifier()(failure_context())
    PontonFailureNotifier()(failure_context(try_number=3))
    from email import message_from_bytes, policy

    ids = [
        message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"]
        for p in (home / "mail").glob("*.eml")
    ]
    assert len(ids) == 3 and len(set(ids)) == 2, "a mailbox can fold a repeated alert"


def test_an_alert_that_cannot_be_sent_is_logged_not_raised(home, monkeypatch, capsys):
    monkeypatch.setenv("PONTON_OPS_EMAIL", "ops@ponton.example")
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps({"conn_type": "fax"}))
    PontonFailureNotifier()(failure_context())
    text = logged(capsys)
    assert "could not mail the failure" in text and "'fax'" in text


def test_ops_recipients_can_come_from_the_mail_connection(home, monkeypatch):
    from ponton.hooks.mail import ops_recipients

    conn = {
        "conn_type": "ponton_postmark",
        "extra": {"ops_recipients": "a@ponton.example; b@ponton.example"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    assert ops_recipients() == ["a@ponton.example", "b@ponton.example"]


def test_an_unknown_connection_type_names_the_supported_ones(monkeypatch):
    from ponton.errors import ConfigError
    from ponton.hooks.mail import get_mail_provider

    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps({"conn_type": "http"}))
    with pytest.raises(ConfigError, match="must be one of") as caught:
        get_mail_provider()
    for conn_type in ("ponton_smtp", "smtp", "ponton_sendgrid", "ponton_postmark"):
        assert conn_type in str(caught.value)


def test_the_mail_operators_return_small_summaries(home, platform_env):
    from ponton.demo.seed import seed
    from ponton.operators.mail import (
        FoldMailWebhooksOperator,
        MailDispatchOperator,
        PullMailStatusesOperator,
    )

    seed(platform_env)
    context = {"run_id": "manual", "ti": SimpleNamespace(dag_id="d", task_id="t")}
    sent = MailDispatchOperator(task_id="send").execute(context)
    assert (sent["sent"], sent["folder"]) == (4, str(home / "mail"))
    pulled = PullMailStatusesOperator(task_id="pull").execute(context)
    assert (pulled["provider"], pulled["events"]) == ("local", 4)
    folded = FoldMailWebhooksOperator(task_id="fold").execute(context)
    assert "events" not in folded  # nothing to fold: no zero counters in the summary
    assert len(json.dumps([sent, pulled, folded])) < 1000, "summaries, never payloads"


def test_a_permanent_configuration_error_fails_the_task_without_retry(home, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from ponton.operators.mail import MailDispatchOperator

    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_MAIL", json.dumps({"conn_type": "ponton_postmark", "extra": {}})
    )
    from ponton.demo.seed import seed
    from ponton.hooks.platform import PlatformDBHook

    seed(PlatformDBHook().platform_db)
    with pytest.raises(AirflowFailException, match="from_email"):
        MailDispatchOperator(task_id="send").execute({"run_id": "r"})


def test_doctor_names_the_provider_in_use(monkeypatch):
    from ponton.hooks.mail import mail_provider_check
    from tests.fakes.postmark_api import FakePostmark

    with FakePostmark() as fake:
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(fake.connection()))
        check = mail_provider_check()
    assert (check.status, check.detail) == ("ok", "postmark, sender planning@ponton.example")


def test_doctor_flags_local_capture_outside_the_demo(home, monkeypatch):
    from ponton.hooks.mail import mail_provider_check

    check = mail_provider_check()
    assert check.status == "problem" and "nobody receives them" in check.detail
    assert "demo=true" in check.fix
    demo = {"conn_type": "ponton_local_mail", "extra": {"demo": True}}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(demo))
    assert mail_provider_check().status == "ok"


def test_doctor_flags_an_unresolvable_mail_connection(monkeypatch):
    from ponton.hooks.mail import mail_provider_check

    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
    check = mail_provider_check()
    assert check.status == "problem" and "'ponton_mail' cannot be resolved" in check.detail
