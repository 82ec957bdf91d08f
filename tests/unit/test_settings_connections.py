import json

import pytest

from ponton.errors import ConfigError
from ponton.settings import connection_from_env, mail_conn_id


def test_json_connections_are_read_without_airflow(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_MAIL",
        json.dumps(
            {"conn_type": "ponton_postmark", "password": "tok", "extra": {"webhook_username": "u"}}
        ),
    )
    conn = connection_from_env("ponton_mail")
    assert (conn.conn_type, conn.password, conn.extra) == (
        "ponton_postmark",
        "tok",
        {"webhook_username": "u"},
    )


def test_uri_connections_with_extras_are_read(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_MAIL",
        "ponton-sendgrid://:SG.key%2Fx@api.sendgrid.com:443/?webhook_public_key=abc%3D%3D&activity_api=true",
    )
    conn = connection_from_env("ponton_mail")
    assert (conn.conn_type, conn.host, conn.port, conn.password) == (
        "ponton_sendgrid",
        "api.sendgrid.com",
        443,
        "SG.key/x",
    )
    assert conn.extra == {"webhook_public_key": "abc==", "activity_api": "true"}


def test_uri_connections_with_an_extra_blob_are_read(monkeypatch):
    extra = json.dumps({"webhook_password": "p"})
    monkeypatch.setenv("AIRFLOW_CONN_X", f"ponton_postmark://?__extra__={extra}")
    assert connection_from_env("x").extra == {"webhook_password": "p"}


def test_absent_and_broken_connections(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NOPE", raising=False)
    assert connection_from_env("nope") is None
    monkeypatch.setenv("AIRFLOW_CONN_BROKEN", "{not json")
    with pytest.raises(ConfigError, match="AIRFLOW_CONN_BROKEN"):
        connection_from_env("broken")


def test_the_mail_connection_id_can_be_renamed(monkeypatch):
    monkeypatch.delenv("PONTON_MAIL_CONN_ID", raising=False)
    assert mail_conn_id() == "ponton_mail"
    monkeypatch.setenv("PONTON_MAIL_CONN_ID", "mail_eu")
    assert mail_conn_id() == "mail_eu"
