"""``ponton documents publish`` and ``ponton documents verify``: the documents DAG's steps and the
daily drift check, by hand. Destinations are storage connections (any ponton storage type),
resolved as Airflow resolves them (environment, secrets backends)."""

from __future__ import annotations

import argparse
import sys

from ponton.cli import print_json
from ponton.cli.database import open_db
from ponton.errors import PontonError
from ponton.journal import Journal


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    docs = groups.add_parser("documents", help=helps["documents"])
    sub = docs.add_subparsers(dest="command", required=True)
    publish = sub.add_parser("publish", help="render and publish roadmaps and assets")
    publish.add_argument("missions", nargs="*", metavar="MISSION", help="default: every active")
    publish.add_argument("--to", required=True, metavar="CONN_ID[,CONN_ID...]")
    publish.add_argument("--json", action="store_true")
    publish.set_defaults(func=_publish)
    verify = sub.add_parser("verify", help="compare every destination with the ledger")
    verify.add_argument("--to", metavar="CONN_ID[,CONN_ID...]", help="default: every recorded")
    verify.add_argument("--repair", action="store_true", help="publish again what drifted")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)


def _destination(conn_id: str):
    from ponton.hooks.storage import destinations_for

    [destination] = destinations_for([conn_id])
    return destination


def _publish(args: argparse.Namespace) -> int:
    from ponton.documents.publish import publish_missions
    from ponton.documents.roadmap import mission_codes
    from ponton.hooks.storage import split_conn_ids

    db = open_db()
    journal = Journal(db)
    codes = args.missions or mission_codes(db)
    summaries = []
    for conn_id in split_conn_ids(args.to):
        try:
            summaries.append(publish_missions(db, _destination(conn_id), journal, codes))
        except PontonError as exc:  # one destination failing does not stop the others
            summaries.append({"conn_id": conn_id, "error": str(exc)})
    failed = [s for s in summaries if "error" in s]
    if args.json:
        print_json({"destinations": summaries})
    else:
        for s in summaries:
            print(
                f"{s['conn_id']}: failed: {s['error']}"
                if "error" in s
                else f"{s['conn_id']}: {s['uploaded']} uploaded ({s['bytes_uploaded']} bytes), "
                f"{s['unchanged']} unchanged, {s['verified']} verified"
            )
    return 1 if failed else 0


def _verify(args: argparse.Namespace) -> int:
    from ponton.documents.verify import recorded_conn_ids, verify_destinations
    from ponton.hooks.storage import destinations_for

    db = open_db()
    conn_ids = args.to or ",".join(recorded_conn_ids(db))
    if not conn_ids:
        if args.json:
            zero = dict.fromkeys(("checked", "missing", "changed", "extra", "repaired"), 0)
            print_json(zero | {"destinations": []})
        else:
            print("nothing published yet: no destination to verify", file=sys.stderr)
        return 0
    report = verify_destinations(db, destinations_for(conn_ids), Journal(db), repair=args.repair)
    summary = report.as_dict()
    if args.json:
        print_json(summary)
    else:
        for d in summary["destinations"]:
            print(
                f"{d['conn_id']}: {d['checked']} checked, {len(d['missing'])} missing, "
                f"{len(d['changed'])} changed, {len(d['extra'])} extra, {d['repaired']} repaired"
            )
            for problem in ("missing", "changed", "extra"):
                for key in d[problem]:
                    print(f"  {problem}: {key}")
    return 1 if report.problems else 0
