"""The mail connection's secrets backend is down: Airflow reports the connection as "not found",
and nothing may then be captured locally and marked sent. The CLI exits non-zero and the DAG task
fails without retry, both naming the connection and the secrets backend; the notification stays
pending. Run in a subprocess so Airflow reads the Vault configuration from scratch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.schema import notifications
from tests.conftest import ROOT
from tests.fakes.loopback import unused_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISPATCH_THEN_TASK = """
import json
from ponton.cli import main
print("CLI_EXIT:" + str(main(["notifications", "dispatch", "--json"])))
from ponton.operators.mail import MailDispatchOperator
try:
    MailDispatchOperator(task_id="send").execute({"run_id": "manual"})
except Exception as exc:
    print("TASK:" + json.dumps({"type": type(exc).__name__, "message": str(exc)}))
"""


def test_with_the_secrets_backend_down_nothing_is_marked_sent_and_the_task_fails(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'platform.db'}"
    db = PlatformDB(db_url)
    db.upgrade()
    with db.begin() as conn:
        conn.execute(
            notifications.insert(),
            {"to_recipients": ["ana@example.com"], "subject": "Planning", "body_text": "Bonjour"},
        )
    vault_down = {"url": f"http://127.0.0.1:{unused_port()}", "token": "hvs.x", "mount_point": "k"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN", "PONTON"))}
    env |= {
        "AIRFLOW__SECRETS__BACKEND": "airflow.providers.hashicorp.secrets.vault.VaultBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(vault_down),
        "PONTON_PLATFORM_DB_URL": db_url,
        "PONTON_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", DISPATCH_THEN_TASK],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    out = result.stdout + result.stderr
    assert "CLI_EXIT:2" in result.stdout, out[-3000:]
    assert "'ponton_mail' cannot be resolved through the secrets backend VaultBackend" in out
    [task] = [x for x in result.stdout.splitlines() if x.startswith("TASK:")]
    failure = json.loads(task.removeprefix("TASK:"))
    assert failure["type"] == "AirflowFailException", failure
    assert "VaultBackend" in failure["message"] and "ponton_mail" in failure["message"]
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(notifications.c.status)).scalars().all() == ["pending"]
    assert not (tmp_path / "mail").exists(), "nothing captured on the worker's disk"
    db.dispose()
