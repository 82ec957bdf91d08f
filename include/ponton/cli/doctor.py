"""``ponton doctor``: is this installation healthy, and if not, what to do.

Checks the platform DB, whether Outlook's mailbox budget is shared by the workers, every
configured connection of a ponton connection type (through its hook's ``test_connection()``),
webhook channels and credential end dates. The connection checks need Airflow (its secrets
backends resolve the connections); they are imported only when Airflow
is installed, and the table says so when it is not. Exit code 1 when any check is a problem.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys

from ponton.ops.checks import (
    Check,
    check_channels,
    check_platform_db,
    check_shared_budget,
    render_table,
    summarize,
)
from ponton.platform import PlatformDB

AIRFLOW_CHECKS = "ponton.hooks.connection_checks"


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    doctor = groups.add_parser("doctor", help=helps["doctor"])
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.set_defaults(func=_doctor)


def run_checks(db: PlatformDB) -> list[Check]:
    if importlib.util.find_spec("airflow") is not None:
        module = importlib.import_module(AIRFLOW_CHECKS)
        return module.doctor_checks(db)
    platform = check_platform_db(db)
    skipped = Check(
        "connection",
        "all connections",
        "not configured",
        "not checked: Airflow is not installed here (run `ponton doctor` where Airflow runs)",
    )
    budget = check_shared_budget()
    return [platform, budget, skipped, *([] if platform.failed else check_channels(db))]


def _doctor(args: argparse.Namespace) -> int:
    from ponton.cli import print_json

    db = PlatformDB()
    try:
        # Airflow's own log lines go to stdout; keep stdout for the report (and the JSON).
        with contextlib.redirect_stdout(sys.stderr):
            checks = run_checks(db)
    finally:
        db.dispose()
    if args.json:
        print_json({"summary": summarize(checks), "checks": [c.as_dict() for c in checks]})
    else:
        print(render_table(checks))
        counts = summarize(checks)
        verdict = "all OK" if not counts["problems"] else f"{counts['problems']} problem(s)"
        print(f"\n{verdict} ({counts['ok']} OK, {counts['not_configured']} not configured)")
    return 1 if any(c.failed for c in checks) else 0
