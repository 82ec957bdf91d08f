"""Hostile calendars (``tests/security/hostile_ics.py``) through ``ponton ics inspect``'s code,
each in a fresh process so its memory is its own: every one must end (with a result or a clear
error) within 5 s of CPU and 300 MB of peak memory. CPU time is the goal's measure because the
wall clock of a shared machine also counts other people's work; the wall time is printed too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Figure, at_most
from tests.security.hostile_ics import CORPUS

SECONDS, MEGABYTES = 5.0, 300.0

CHILD = """
import json, resource, sys, time
from ponton.cli.ics import inspect_calendar
from ponton.errors import PontonError
wall = time.perf_counter()
try:
    summary = inspect_calendar(sys.argv[1])
    outcome = f"{summary['events']} events, {len(summary['errors'])} errors"
except PontonError as exc:
    outcome = "refused: " + str(exc)[:60]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "wall": time.perf_counter() - wall,
                  "rss_mb": usage.ru_maxrss / 1024, "outcome": outcome}))
"""


def _measure(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in CORPUS.items():
            path = Path(tmp) / f"{name}.ics"
            path.write_bytes(build())
            got = _measure(path)
            print(f"  {name}: {got['outcome']} (wall {got['wall']:.2f}s)", file=sys.stderr)
            figures.append(at_most(f"hostile ics {name} cpu (s)", got["cpu"], SECONDS, "s"))
            figures.append(at_most(f"hostile ics {name} peak (MB)", got["rss_mb"], MEGABYTES, "MB"))
    return figures
