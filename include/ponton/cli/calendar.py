"""``ponton bindings``, ``ponton sync`` and ``ponton conflicts``: calendar sync for operators."""

from __future__ import annotations

import argparse

from ponton.cli import print_json
from ponton.cli.args import binding_options, non_empty, row_id
from ponton.cli.database import open_db
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.secrets import EnvConnectionResolver
from ponton.sync.bindings import PROVIDERS, add_binding, list_bindings
from ponton.sync.filters import filters_from
from ponton.sync.planner import DIRECTIONS, POLICIES


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    bindings = groups.add_parser("bindings", help=helps["bindings"])
    sub = bindings.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="bind a resource to a calendar; prints the binding id")
    add.add_argument("--provider", required=True, choices=PROVIDERS)
    add.add_argument(
        "--source", required=True, type=non_empty, help="file, URL, CalDAV URL or calendar id"
    )
    add.add_argument(
        "--resource", required=True, type=non_empty, help="resource key (created if new)"
    )
    add.add_argument("--policy", default="manual", choices=POLICIES)
    add.add_argument("--direction", default="import", choices=DIRECTIONS)
    add.add_argument("--conn-id", help="Airflow connection holding the credentials")
    add.add_argument("--mission", help="limit the binding to one mission code")
    add.add_argument("--options", type=binding_options, default=None, help="JSON object of options")
    add.set_defaults(func=_add)
    listing = sub.add_parser("list", help="every binding")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    sync = groups.add_parser("sync", help=helps["sync"])
    sync_sub = sync.add_subparsers(dest="command", required=True)
    run = sync_sub.add_parser("run", help="one sync of one binding (what the DAG task does)")
    run.add_argument("binding", type=row_id)
    run.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    run.add_argument("--allow-mass-delete", action="store_true")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=_run)
    channel = sync_sub.add_parser(
        "channel", help="create, renew or stop a binding's push channel (what the channel DAG does)"
    )
    channel.add_argument("binding", type=int)
    channel.add_argument(
        "--webhook-base-url",
        default="",
        help="public HTTPS URL of the webhook app (the ponton_webhook_base_url variable)",
    )
    channel.set_defaults(func=_channel)

    conflicts = groups.add_parser("conflicts", help=helps["conflicts"])
    c_sub = conflicts.add_subparsers(dest="command", required=True)
    c_list = c_sub.add_parser("list", help="open conflicts")
    c_list.add_argument("--all", action="store_true", help="resolved and cleared ones too")
    c_list.add_argument("--json", action="store_true")
    c_list.set_defaults(func=_conflicts)
    resolve = c_sub.add_parser("resolve", help="settle a conflict keeping one side")
    resolve.add_argument("conflict", type=row_id)
    resolve.add_argument(
        "--keep",
        required=True,
        choices=("platform", "remote", "dismiss"),
        help="dismiss: acknowledge a double booking or a refusal (not an edit conflict)",
    )
    resolve.set_defaults(func=_resolve)


def _add(args: argparse.Namespace) -> int:
    db = PlatformDB()
    db.upgrade()
    binding_id = add_binding(
        db,
        provider=args.provider,
        source=args.source,
        resource=args.resource,
        direction=args.direction,
        policy=args.policy,
        conn_id=args.conn_id,
        mission=args.mission,
        options=args.options,
    )
    print(binding_id)
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = [
        {
            "id": b.id,
            "provider": b.provider,
            "resource": b.resource_key,
            "direction": b.direction,
            "policy": b.conflict_policy,
            "enabled": b.enabled,
            "filters": filters_from(b.options).describe(),
        }
        for b in list_bindings(open_db())
    ]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']:>4}  {r['provider']:<8} {r['resource']:<20} {r['direction']:<7} ", end="")
        print(r["policy"])
        print(f"      filters: {r['filters']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ponton.sync.adapters import calendar_opener
    from ponton.sync.engine import run_sync_or_defer

    db = open_db()
    summary = run_sync_or_defer(
        db,
        args.binding,
        calendar_opener(EnvConnectionResolver()),
        journal=Journal(db),
        dry_run=args.dry_run,
        allow_mass_delete=args.allow_mass_delete,
    )
    if args.json:
        print_json(summary)
    else:
        print(", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int) and v))
        for line in summary.get("plan", []):
            print(f"  {line}")
    return 0


def _channel(args: argparse.Namespace) -> int:
    from ponton.calendars.channels import reconcile_channel
    from ponton.sync.adapters import calendar_opener

    db = open_db()
    summary = reconcile_channel(
        db,
        args.binding,
        calendar_opener(EnvConnectionResolver()),
        webhook_base_url=args.webhook_base_url,
        journal=Journal(db),
    )
    print_json(summary)
    return 0


def _conflicts(args: argparse.Namespace) -> int:
    from ponton.sync.resolution import list_conflicts

    rows = list_conflicts(open_db(), status=None if args.all else "open")
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        platform, remote = r["platform_version"] or {}, r["remote_version"] or {}
        if r["kind"] == "refused":
            print(
                f"{r['id']:>4}  {r['kind']:<15} {r['status']:<9} {r['platform_uid']}: "
                f"{platform.get('summary')!r} refused by the remote: {platform.get('reason')}"
            )
            continue
        print(
            f"{r['id']:>4}  {r['kind']:<15} {r['status']:<9} {r['platform_uid']}: "
            f"platform {platform.get('summary', platform.get('ref'))!r} "
            f"vs remote {remote.get('summary', remote.get('ref'))!r}"
        )
    return 0


def _resolve(args: argparse.Namespace) -> int:
    import getpass

    from ponton.sync.resolution import resolve_conflict

    db = open_db()
    print(resolve_conflict(db, args.conflict, args.keep, Journal(db), by=getpass.getuser()))
    return 0
