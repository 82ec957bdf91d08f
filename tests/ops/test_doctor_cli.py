"""``ponton doctor`` end to end on the demo's configuration (scripts/demo.py's environment and
local-filesystem secrets backend): all OK as the demo ships, and a broken connection is named
with its fix. Run in a subprocess so Airflow reads that configuration from scratch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_DOCTOR = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import demo
os.environ.update(demo.demo_environment())
connections = demo.demo_connections(sys.argv[3])
connections.update(json.loads(sys.argv[2]))
demo.DEMO.mkdir(parents=True, exist_ok=True)
(demo.DEMO / "connections.json").write_text(json.dumps(connections))
from ponton.platform import PlatformDB
PlatformDB().upgrade()
from ponton.cli import main
sys.exit(main(["doctor", *sys.argv[4:]]))
"""


@pytest.fixture(autouse=True)
def feeds():
    """The demo's feeds served on loopback: the doctor fetches every bound feed."""
    from datetime import UTC, datetime

    from ponton.demo.feeds import DEMO_FEEDS, demo_feed
    from tests.fakes.ics_server import IcsServer

    with IcsServer() as server:
        for key in DEMO_FEEDS:
            url = server.publish(f"/{key}.ics", demo_feed(datetime.now(UTC).date(), key))
        yield url.rsplit("/", 1)[0]


def doctor(tmp_path, feeds: str, extra_connections: dict, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PONTON"))}
    env["PONTON_DEMO_DIR"] = str(tmp_path / "demo")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_DOCTOR,
            str(ROOT / "scripts"),
            json.dumps(extra_connections),
            feeds,
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_doctor_on_the_demo_configuration_is_all_ok(tmp_path, feeds):
    result = doctor(tmp_path, feeds, {})
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "all OK" in result.stdout
    assert "ponton_storage_local (ponton_local_storage)  OK" in result.stdout


def test_doctor_names_a_broken_connection_and_its_fix(tmp_path, feeds):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    broken = {
        "ponton_storage_local": {
            "conn_type": "ponton_local_storage",
            "extra": {"path": str(blocker / "storage")},
        },
        "outlook_calendar_default": {
            "conn_type": "ponton_outlook_calendar",
            "login": "app-id",
            "password": "app-secret-value",
        },
    }
    result = doctor(tmp_path, feeds, broken, "--json")
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    report = json.loads(result.stdout)
    problems = {c["name"]: c for c in report["checks"] if c["status"] == "problem"}
    assert set(problems) == {
        "ponton_storage_local (ponton_local_storage)",
        "outlook_calendar_default (ponton_outlook_calendar)",
    }
    assert (
        "fix its permissions" in problems["ponton_storage_local (ponton_local_storage)"]["detail"]
    )
    outlook = problems["outlook_calendar_default (ponton_outlook_calendar)"]
    assert "tenant_id" in outlook["detail"]
    assert "correct connection 'outlook_calendar_default'" in outlook["fix"]
    assert "app-secret-value" not in result.stdout
    assert report["summary"]["problems"] == 2
