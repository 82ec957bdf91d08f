"""No secret reaches a task log or the journal: the drill DAG (tests/dags/drill) handles every
kind of secret ponton knows, through Airflow's task runner (``dag.test()``) with the logging a
worker's task process uses, in a throw-away Airflow home migrated for this run."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.dags, pytest.mark.slow]

RUN_DRILL = r"""
import json, os, sys
from pathlib import Path
home, secrets_json = Path(sys.argv[1]), sys.argv[2]
s = json.loads(secrets_json)
sys.path.insert(0, sys.argv[3])
from airflow.utils.db import initdb
initdb()
from airflow.sdk.log import configure_logging
task_log = open(home / "task.log", "w")
configure_logging(output=task_log)  # what a worker's task process does: the masker is on

import sqlalchemy as sa
from ponton.platform import PlatformDB
from ponton.sync.bindings import add_binding
from tests.fakes.ics_server import IcsServer

db = PlatformDB()
db.upgrade()
feed = (Path(sys.argv[3]) / "tests/fixtures/ics/all_day.ics").read_bytes()
with IcsServer() as server:
    good = server.publish(f"/private-{s['ics_token']}/basic.ics", feed)
    missing = server.url(f"/private-{s['ics_token_2']}/basic.ics")
    for n, url in enumerate((good, missing)):
        os.environ[f"AIRFLOW_CONN_PONTON_ICS_{n}"] = json.dumps(
            {"conn_type": "ponton_ics", "extra": {"url": url, "allow_hosts": "127.0.0.1"}}
        )
        add_binding(db, provider="ics", source="private feed", resource=f"r{n}",
                    conn_id=f"ponton_ics_{n}", policy="remote-wins")
    from airflow.dag_processing.dagbag import DagBag
    run = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).get_dag("ponton_secret_drill").test()
task_log.flush()
with db.begin() as conn:
    rows = [dict(r) for r in conn.execute(sa.text("SELECT * FROM integration_journal")).mappings()]
(home / "journal.json").write_text(json.dumps(rows, default=str))
print("RUN_STATE", run.state)
"""


def _key_file(private_key: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "ponton-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": private_key,
            "client_email": "ponton@ponton-test.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    home = tmp_path_factory.mktemp("drill")
    s = {
        name: f"{name}-{secrets.token_hex(12)}"
        for name in (
            "oauth_client_secret",
            "refresh_token",
            "azure_client_secret",
            "sharepoint_secret",
            "aws_secret_key",
            "smtp_password",
            "sendgrid_api_key",
            "postmark_token",
            "postmark_webhook_password",
            "postmark_webhook_password_previous",
            "ics_token",
            "ics_token_2",
            "platform_password",
        )
    }
    s["sa_private_key"] = (
        "-----BEGIN PRIVATE KEY-----\n"
        + secrets.token_urlsafe(48)
        + "\n-----END PRIVATE KEY-----\n"
    )
    s["certificate_key"] = (
        "-----BEGIN PRIVATE KEY-----\n"
        + secrets.token_urlsafe(48)
        + "\n-----END PRIVATE KEY-----\n"
    )
    conns = {
        "google_calendar_default": {
            "conn_type": "ponton_google_calendar",
            "login": "client-id.apps.googleusercontent.com",
            "password": s["oauth_client_secret"],
            "extra": {"refresh_token": s["refresh_token"]},
        },
        "ponton_storage_gdrive": {
            "conn_type": "ponton_gdrive",
            "extra": {"keyfile_dict": _key_file(s["sa_private_key"]), "folder_id": "root"},
        },
        "outlook_calendar_default": {
            "conn_type": "ponton_outlook_calendar",
            "login": "app-id",
            "password": s["azure_client_secret"],
            "extra": {"tenant_id": "tenant", "certificate_data": s["certificate_key"]},
        },
        "ponton_storage_sharepoint": {
            "conn_type": "ponton_sharepoint",
            "login": "app-id",
            "password": s["sharepoint_secret"],
            "extra": {"tenant_id": "tenant", "site": "contoso.sharepoint.com:/sites/x"},
        },
        "ponton_storage_s3": {"conn_type": "ponton_s3", "extra": {"bucket": "docs"}},
        "aws_default": {
            "conn_type": "aws",
            "login": "AKIAPONTONTEST",
            "password": s["aws_secret_key"],
        },
        "ponton_platform": {
            "conn_type": "ponton_platform",
            "extra": {"url": f"sqlite:///{home}/platform.db?password={s['platform_password']}"},
        },
        "ponton_mail_smtp": {
            "conn_type": "ponton_smtp",
            "host": "smtp.example.com",
            "login": "ponton",
            "password": s["smtp_password"],
        },
        "ponton_mail_sendgrid": {
            "conn_type": "ponton_sendgrid",
            "password": s["sendgrid_api_key"],
            "extra": {"activity_api": True},
        },
        "ponton_mail_postmark": {
            "conn_type": "ponton_postmark",
            "password": s["postmark_token"],
            "extra": {"message_stream": "outbound"},
        },
        "ponton_mail_webhooks": {
            "conn_type": "ponton_mail_webhooks",
            "login": "hooks",
            "password": s["postmark_webhook_password"],
            "extra": {"postmark_password_previous": s["postmark_webhook_password_previous"]},
        },
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PONTON"))}
    env |= {f"AIRFLOW_CONN_{cid.upper()}": json.dumps(c) for cid, c in conns.items()}
    env |= {
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "tests" / "dags" / "drill"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PONTON_HOME": str(home),
        "PONTON_DRILL_TOKEN_FILE": str(home / "token"),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN_DRILL, str(home), json.dumps(s), str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert "RUN_STATE" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    s["webhook_channel_token"] = (home / "token").read_text()
    return {
        "secrets": s,
        "task_log": (home / "task.log").read_text(),
        "journal": (home / "journal.json").read_text(),
        "output": result.stdout + result.stderr,
    }


def _leaks(text: str, found: dict[str, str]) -> list[str]:
    leaked = []
    for name, value in found.items():
        # The value itself, and the body of a PEM key (logged with escaped newlines).
        body = [line for line in value.splitlines() if len(line) > 20 and "-----" not in line]
        parts = [value, *body]
        if any(part in text for part in parts):
            leaked.append(name)
    return leaked


def test_the_drill_really_logged_and_journaled(drill):
    log = drill["task_log"]
    assert "password=***" in log  # the careless lines were written, masked
    assert "channel token ***" in log
    assert "extra refresh_token = ***" in log
    journal = json.loads(drill["journal"])
    assert any(row["integration"] == "calendar" for row in journal)
    assert "RUN_STATE" in drill["output"]


def test_no_secret_in_task_logs(drill):
    assert _leaks(drill["task_log"], drill["secrets"]) == []


def test_no_secret_in_the_journal(drill):
    assert _leaks(drill["journal"], drill["secrets"]) == []


def test_no_secret_in_the_process_output(drill):
    assert _leaks(drill["output"], drill["secrets"]) == []
