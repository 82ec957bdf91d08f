"""The checks of ``ponton doctor`` that need Airflow: every configured connection of a ponton
connection type, tested through its hook, and the end dates of the credentials it holds.

Secrets backends cannot list what they hold (Vault answers only for a known id), so the candidates
are gathered from every place that names a connection: ``AIRFLOW_CONN_*`` variables, the
local-filesystem backend's file, the metadata DB, each hook's default connection id, the bindings'
``conn_id`` and the storage variable. Each candidate is then resolved through Airflow's normal
lookup (all backends, Vault included) and kept when its type is one of ponton's.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ponton.config import hook_connection_types
from ponton.ops.checks import Check, certificate_not_after, check_expiry, parse_expiry
from ponton.platform import PlatformDB

AZURE_RUNBOOK = "docs/runbooks/azure-client-secrets.md"


def hook_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _from_environment() -> set[str]:
    return {
        k.removeprefix("AIRFLOW_CONN_").lower() for k in os.environ if k.startswith("AIRFLOW_CONN_")
    }


def _from_local_file() -> set[str]:
    from airflow.configuration import conf

    if not conf.get("secrets", "backend", fallback="").endswith("LocalFilesystemBackend"):
        return set()
    kwargs = json.loads(conf.get("secrets", "backend_kwargs", fallback="") or "{}")
    path = kwargs.get("connections_file_path")
    if not path or not os.path.exists(path):
        return set()
    from airflow.secrets.local_filesystem import load_connections_dict

    return set(load_connections_dict(path))


def _from_metadata_db() -> set[str]:
    """Connections stored in Airflow's DB; empty where tasks may not reach it (Airflow 3
    workers talk to the API server only)."""
    try:
        from airflow.models.connection import Connection
        from airflow.utils.session import create_session

        with create_session() as session:
            return {c for (c,) in session.query(Connection.conn_id)}
    except Exception:  # noqa: BLE001 - no DB access here: the other sources still apply
        return set()


def _from_platform(db: PlatformDB | None) -> set[str]:
    if db is None:
        return set()
    from ponton.platform.schema import calendar_bindings

    try:
        with db.begin() as conn:
            rows = conn.execute(sa.select(calendar_bindings.c.conn_id).distinct()).scalars()
            return {r for r in rows if r}
    except Exception:  # noqa: BLE001 - the platform check reports an unreachable DB
        return set()


def _from_variables() -> set[str]:
    from ponton.config import VARIABLES

    try:
        from airflow.sdk import Variable

        spec = next(v for v in VARIABLES if v.name == "ponton_storage_conn_ids")
        value = Variable.get(spec.name, default=spec.default)
    except Exception:  # noqa: BLE001 - variables unreachable: the default id is a candidate anyway
        return set()
    return {part.strip() for part in str(value).split(",") if part.strip()}


def candidate_conn_ids(db: PlatformDB | None, types: dict[str, str]) -> set[str]:
    defaults = {hook_class(path).default_conn_name for path in types.values()}
    return (
        _from_environment()
        | _from_local_file()
        | _from_metadata_db()
        | _from_platform(db)
        | _from_variables()
        | defaults
    )


def _resolve(conn_id: str):
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - not found (or unreadable) in every backend
        return None


def _extra(conn, name: str) -> Any:
    extra = conn.extra_dejson
    return extra.get(name) or extra.get(f"extra__{conn.conn_type}__{name}")


def probe_connection(conn_id: str, conn_type: str, path: str) -> Check:
    """The hook's own ``test_connection()``, never raising."""
    fix_ref = f"docs/configuration.md#{conn_type}"
    try:
        cls = hook_class(path)
        ok, message = cls(**{cls.conn_name_attr: conn_id}).test_connection()
    except Exception as exc:  # noqa: BLE001 - a crashing test is a finding, not a crash
        ok, message = False, f"{type(exc).__name__}: {exc}"
    if ok:
        return Check("connection", f"{conn_id} ({conn_type})", "ok", message)
    return Check(
        "connection",
        f"{conn_id} ({conn_type})",
        "problem",
        message,
        f"correct connection {conn_id!r} as the message says (fields: {fix_ref})",
    )


def credential_checks(conn_id: str, conn, now: datetime | None = None) -> list[Check]:
    """Declared client-secret end dates and certificate ``notAfter`` dates."""
    checks = []
    declared = _extra(conn, "secret_expires_at")
    if declared:
        checks.append(
            _expiry_check(
                conn_id,
                "client secret",
                lambda: parse_expiry(declared),
                f"secret_expires_at {declared!r} is not an ISO date",
                "write it as YYYY-MM-DD (the end date Entra ID shows for the secret)",
                now,
            )
        )
    path, data = _extra(conn, "certificate_path"), _extra(conn, "certificate_data")
    if path or data:
        checks.append(
            _expiry_check(
                conn_id,
                "certificate",
                lambda: certificate_not_after(data.encode() if data else Path(path).read_bytes()),
                "cannot read the certificate",
                "point certificate_path at a readable PEM file with the certificate",
                now,
            )
        )
    return checks


def _expiry_check(
    conn_id: str,
    what: str,
    end_date: Callable[[], datetime],
    unreadable: str,
    fix: str,
    now: datetime | None,
) -> Check:
    """The expiry check of one credential, or a problem saying its end date cannot be read."""
    try:
        expires = end_date()
    except (OSError, ValueError) as exc:
        name = f"{conn_id} {what}"
        return Check("credential", name, "problem", f"{unreadable} ({type(exc).__name__})", fix)
    return check_expiry(conn_id, what, expires, AZURE_RUNBOOK, now)


def connection_checks(db: PlatformDB | None, now: datetime | None = None) -> list[Check]:
    """One row per configured ponton connection (plus its credentials), and one ``not
    configured`` row per connection type nobody configured."""
    types = hook_connection_types()
    checks: list[Check] = []
    seen: set[str] = set()
    for conn_id in sorted(candidate_conn_ids(db, types)):
        conn = _resolve(conn_id)
        if conn is None or conn.conn_type not in types:
            continue
        seen.add(conn.conn_type)
        checks.append(probe_connection(conn_id, conn.conn_type, types[conn.conn_type]))
        checks += credential_checks(conn_id, conn, now)
    checks += [
        Check("connection", conn_type, "not configured", "no connection of this type")
        for conn_type in types
        if conn_type not in seen
    ]
    return checks


def doctor_checks(db: PlatformDB, now: datetime | None = None) -> list[Check]:
    """Everything ``ponton doctor`` and the ``ponton_health`` DAG check, in display order."""
    from ponton.ops.checks import check_channels, check_platform_db, check_shared_budget

    platform = check_platform_db(db)
    checks: Iterable[Check] = [platform, check_shared_budget()]
    checks = [*checks, *connection_checks(db if not platform.failed else None, now)]
    from ponton.hooks.mail import mail_provider_check

    checks.append(mail_provider_check())
    if not platform.failed:
        checks += check_channels(db, now)
    return checks
