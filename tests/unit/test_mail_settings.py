"""Where the mail connection is found: its id, and (for the webhook receiver, which runs without
Airflow) the ``AIRFLOW_CONN_*`` variable in both of Airflow's forms."""

import json

import pytest

from ponton.errors import ConfigError
from ponton.secrets import EnvConnectionResolver
from ponton.settings import mail_conn_id


def test_the_mail_connection_id_can_be_renamed(monkeypatch):
    monkeypatch.delenv("PONTON_MAIL_CONN_ID", raising=False)
    assert mail_conn_id() == "ponton_mail"
    monkeypatch.setenv("PONTON_MAIL_CONN_ID", "mail_eu")
    assert mail_conn_id() == "mail_eu"


def test_json_connections_are_read_without_airflow(monkeypatch):
    conn = {"conn_type": "ponton_postmark", "password": "tok", "extra": {"message_stream": "s"}}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    info = EnvConnectionResolver().get("ponton_mail")
    assert (info.conn_type, info.password, info.extra) == (
        "ponton_postmark",
        "tok",
        {"message_stream": "s"},
    )


def test_uri_connections_with_extras_are_read(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_MAIL",
        "ponton-sendgrid://:SG.key%2Fx@api.sendgrid.com:443/?from_name=Planning%20%C3%A9quipe",
    )
    info = EnvConnectionResolver().get("ponton_mail")
    assert (info.conn_type, info.host, info.port, info.password) == (
        "ponton_sendgrid",
        "api.sendgrid.com",
        443,
        "SG.key/x",
    )
    assert info.extra == {"from_name": "Planning équipe"}


def test_absent_and_broken_connections_are_config_errors(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NOPE", raising=False)
    with pytest.raises(ConfigError, match="AIRFLOW_CONN_NOPE"):
        EnvConnectionResolver().get("nope")
    monkeypatch.setenv("AIRFLOW_CONN_BROKEN", "{not json")
    with pytest.raises(ConfigError, match="broken"):
        EnvConnectionResolver().get("broken")


def test_mail_connections_hold_no_webhook_keys():
    """The receiver reads the keys from ponton_mail_webhooks only; a field for them on the mail
    connection would be a second, ignored place to put them."""
    from ponton.provider import CONNECTION_FORMS

    for conn_type in ("ponton_sendgrid", "ponton_postmark"):
        fields = CONNECTION_FORMS[conn_type]["conn-fields"]
        assert [name for name in fields if "webhook" in name] == [], conn_type
