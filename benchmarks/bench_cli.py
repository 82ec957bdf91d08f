"""``ponton --help`` start-up against a bare ``python -c pass`` of the same interpreter.

Goals: at most 0.3 s, and at most 3x the bare interpreter (a command imports only what it needs;
the help imports no command module). Best of several runs, each a fresh process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks import Figure, at_most

RUNS = 7


def _best(argv: list[str]) -> float:
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return min(runs)


def run() -> list[Figure]:
    script = Path(sys.executable).with_name("ponton")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ponton.cli"]
    bare = _best([sys.executable, "-c", "pass"])
    help_time = _best([*command, "--help"])
    return [
        at_most("cli ponton --help (s)", help_time, 0.3, "s"),
        at_most("cli ponton --help / python -c pass", help_time / bare, 3, "x"),
        Figure("cli python -c pass (s)", round(bare, 4), "info", True, "s"),
    ]
