"""``make demo`` end to end: every DAG runs once through Airflow (``dag.test()``) and succeeds."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.dags, pytest.mark.slow]


def test_demo_runs_every_dag_successfully(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PONTON"))}
    env["PONTON_DEMO_DIR"] = str(tmp_path / "demo")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    states = {
        line.split()[0]: line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith("  ponton_")
    }
    dag_ids = {p.stem for p in (ROOT / "dags").glob("ponton_*.py")}
    assert states == dict.fromkeys(dag_ids, "success")
    # The availability feeds the demo published are read cleanly by an independent parser, and
    # its summary says what became of the private appointment and the declined invitation.
    import vobject

    feeds = tmp_path / "demo" / "storage" / "feeds"
    for path in [*feeds.glob("freebusy/*.ifb"), *feeds.glob("busy/*.ics")]:
        parsed = vobject.readOne(path.read_text())
        assert parsed.name == "VCALENDAR", path
        assert path.suffix != ".ifb" or "vfreebusy" in parsed.contents, path
    assert vobject.readOne((feeds / "busy" / "ana.martin.ics").read_text()).vevent_list
    assert "anonymous busy block(s) Thu 10:00-11:00; its text found in none of" in result.stdout
    assert "0 busy block(s), 0 double booking(s)" in result.stdout
