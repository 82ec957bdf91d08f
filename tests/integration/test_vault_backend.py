"""Connections in HashiCorp Vault: the hashicorp provider's ``VaultBackend`` (through ``hvac``)
resolves a ponton connection stored in a KV v2 engine, a ponton hook uses it, and ``ponton
doctor`` finds and checks it. Against the loopback KV v2 fake (no Vault server installs here)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import hvac
import pytest

from tests.conftest import ROOT
from tests.fakes.vault_kv import VaultKvFake

pytestmark = pytest.mark.integration


@pytest.fixture
def vault(tmp_path):
    token = f"hvs.{secrets.token_urlsafe(24)}"
    with VaultKvFake(token) as fake:
        client = hvac.Client(url=fake.url, token=token)
        client.secrets.kv.v2.create_or_update_secret(
            path="connections/ponton_storage_local",
            secret={"conn_type": "ponton_local_storage", "extra": {"path": str(tmp_path / "docs")}},
            mount_point="secret",
        )
        yield fake


def backend_kwargs(fake: VaultKvFake) -> dict:
    return {
        "url": fake.url,
        "token": fake.token,
        "mount_point": "secret",
        "connections_path": "connections",
        "variables_path": None,
        "config_path": None,
    }


def test_vault_backend_resolves_a_ponton_connection(vault, tmp_path):
    from airflow.providers.hashicorp.secrets.vault import VaultBackend

    conn = VaultBackend(**backend_kwargs(vault)).get_connection("ponton_storage_local")
    assert conn.conn_type == "ponton_local_storage"
    assert conn.extra_dejson == {"path": str(tmp_path / "docs")}
    assert VaultBackend(**backend_kwargs(vault)).get_connection("absent") is None
    assert ("GET", "/v1/secret/data/connections/ponton_storage_local") in vault.requests


RUN_WITH_VAULT = """
import json, sys
from ponton.hooks.local_storage import LocalStorageHook
hook = LocalStorageHook(storage_conn_id="ponton_storage_local")
ok, message = hook.test_connection()
print("HOOK:" + json.dumps({"ok": ok, "root": str(hook.root), "message": message}))
from ponton.cli import main
sys.exit(main(["doctor", "--json"]))
"""


def test_airflow_configured_with_vault_feeds_a_ponton_hook_and_doctor(vault, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN")}
    env |= {
        "AIRFLOW__SECRETS__BACKEND": "airflow.providers.hashicorp.secrets.vault.VaultBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(backend_kwargs(vault)),
        "PONTON_PLATFORM_DB_URL": f"sqlite:///{tmp_path / 'platform.db'}",
        "AIRFLOW_CONN_PONTON_MAIL": json.dumps(
            {"conn_type": "ponton_local_mail", "extra": {"demo": True}}
        ),
    }
    subprocess.run(
        [sys.executable, "-c", 'from ponton.cli import main; main(["db", "upgrade"])'],
        env=env,
        check=True,
        cwd=ROOT,
    )
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITH_VAULT],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    [line] = [x for x in result.stdout.splitlines() if x.startswith("HOOK:")]
    hook = json.loads(line.removeprefix("HOOK:"))
    assert hook["ok"], hook
    assert hook["root"] == str(tmp_path / "docs")
    report = json.loads(result.stdout[result.stdout.index('{\n  "checks"') :])
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    [local] = [c for c in report["checks"] if c["name"].startswith("ponton_storage_local")]
    assert local["status"] == "ok" and str(tmp_path / "docs") in local["detail"]
