"""DAG parse cost: each DAG file against an empty DAG file, parsed in a fresh interpreter.

A fresh process per parse; Airflow and the SDK names DAG files use are imported before the clock
starts, so the ratio shows what ponton adds at module level (imports and work at parse time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Figure, at_most

ROOT = Path(__file__).resolve().parents[1]
EMPTY_DAG = """
from airflow.sdk import dag
import pendulum

@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False)
def empty():
    pass

empty()
"""
PROBE = """
import importlib.util, sys, time
path = sys.argv[1]
# The interpreter, Airflow and the SDK's own lazily loaded names are not the DAG file's cost: a
# DAG processor has them loaded after its first file.
from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("dagfile", path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - started)
"""


def _parse_once(path: Path, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def parse_seconds(path: Path, baseline: Path, repeats: int = 5) -> tuple[float, float]:
    """Best parse time of ``path`` and of ``baseline``, runs interleaved so that both see the
    same spells of machine load and their ratio compares like with like."""
    env = dict(os.environ, AIRFLOW__CORE__LOAD_EXAMPLES="False")
    # As in production, modules load from bytecode (the first run writes it, min() keeps the rest).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs: list[float] = []
    bases: list[float] = []
    for _ in range(repeats):
        runs.append(_parse_once(path, env))
        bases.append(_parse_once(baseline, env))
    return min(runs), min(bases)


def run() -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty_dag.py"
        empty.write_text(EMPTY_DAG)
        for dag_file in sorted((ROOT / "dags").glob("ponton_*.py")):
            seconds, baseline = parse_seconds(dag_file, empty)
            figures.append(at_most(f"parse {dag_file.stem} (s)", seconds, 0.3, "s"))
            figures.append(
                at_most(f"parse {dag_file.stem} / empty DAG", seconds / baseline, 1.5, "x")
            )
    return figures
