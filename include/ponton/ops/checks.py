"""Health checks that need only the platform DB or a credential's own metadata.

Each check yields :class:`Check` rows: ``ok``, ``problem`` (exit code 1, the health DAG fails) or
``not configured`` (a connection type nobody uses here: not a failure). A problem always says how
to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa

from ponton.platform import PlatformDB

Status = Literal["ok", "problem", "not configured"]
CHANNEL_HORIZON = timedelta(hours=24)
CREDENTIAL_HORIZON = timedelta(days=30)


@dataclass(frozen=True)
class Check:
    area: str  # "platform", "connection", "webhook channel", "credential"
    name: str  # what was checked: a conn id, a binding, the DB
    status: Status
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "problem"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_platform_db(db: PlatformDB) -> Check:
    """Reachable and migrated to the latest revision."""
    try:
        current, head = db.current_revision(), db.head_revision()
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return Check(
            "platform",
            "platform DB",
            "problem",
            f"unreachable: {type(exc).__name__}",
            "check the ponton_platform connection or PONTON_PLATFORM_DB_URL and that the server "
            "accepts connections",
        )
    if current != head:
        return Check(
            "platform",
            "platform DB",
            "problem",
            f"schema at {current or 'no revision'}, code expects {head}",
            "run `ponton db upgrade`",
        )
    return Check("platform", "platform DB", "ok", f"{db.dialect}, schema at {head}")


def check_shared_budget() -> Check:
    """Whether Outlook's 4-requests-per-mailbox budget is shared by every worker (a Redis
    answers) or counted per process."""
    import redis

    from ponton.settings import budget_redis_url

    name, url = "Outlook mailbox budget", budget_redis_url()
    if not url:
        return Check(
            "platform",
            name,
            "not configured",
            "counted per process: N workers on one mailbox may send 4 x N requests at once",
            "set PONTON_REDIS_URL (or use a Redis Celery broker) to share it",
        )
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 6379}{parts.path}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return Check(
            "platform",
            name,
            "problem",
            f"Redis at {where} unreachable: {type(exc).__name__}",
            "check PONTON_REDIS_URL (or the Celery broker URL) and that this Redis is up",
        )
    return Check("platform", name, "ok", f"shared by every worker through Redis at {where}")


def check_channels(db: PlatformDB, now: datetime | None = None) -> list[Check]:
    """Bindings that want push must hold a channel valid for at least another 24 hours."""
    from ponton.calendars.channels import wants_push
    from ponton.platform.schema import calendar_bindings

    now = now or datetime.now(UTC)
    with db.begin() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(calendar_bindings)).mappings()]
    fix = (
        "run the ponton_calendar_channels DAG (hourly) and check the variable "
        "ponton_webhook_base_url and the binding's connection; see docs/runbooks/webhook-secrets.md"
    )
    checks = []
    for row in rows:
        if not wants_push(row):
            continue
        name = f"binding {row['id']} ({row['provider']})"
        expires = row.get("channel_expires_at")
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires is None:
            checks.append(Check("webhook channel", name, "problem", "no push channel", fix))
        elif expires <= now:
            checks.append(
                Check("webhook channel", name, "problem", f"expired {expires:%Y-%m-%d %H:%M}Z", fix)
            )
        elif expires - now < CHANNEL_HORIZON:
            detail = f"expires {expires:%Y-%m-%d %H:%M}Z, within 24 h"
            checks.append(Check("webhook channel", name, "problem", detail, fix))
        else:
            checks.append(
                Check("webhook channel", name, "ok", f"valid until {expires:%Y-%m-%d %H:%M}Z")
            )
    return checks


def parse_expiry(value: Any) -> datetime:
    """An ISO date or date-time (UTC when naive); ValueError otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_expiry(
    conn_id: str, what: str, expires: datetime, runbook: str, now: datetime | None = None
) -> Check:
    """A credential is a problem once it is less than 30 days from its end date."""
    now = now or datetime.now(UTC)
    name = f"{conn_id} {what}"
    fix = f"rotate it now: {runbook}"
    if expires <= now:
        return Check("credential", name, "problem", f"expired {expires:%Y-%m-%d}", fix)
    if expires - now < CREDENTIAL_HORIZON:
        days = (expires - now).days
        return Check("credential", name, "problem", f"expires {expires:%Y-%m-%d} ({days} d)", fix)
    return Check("credential", name, "ok", f"valid until {expires:%Y-%m-%d}")


def certificate_not_after(pem: bytes) -> datetime:
    """The end date of the first certificate in a PEM bundle (the key in it is not read)."""
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem).not_valid_after_utc


def summarize(checks: Iterable[Check]) -> dict[str, Any]:
    """The small JSON the health task returns: counts and the names of what failed."""
    checks = list(checks)
    return {
        "ok": sum(c.status == "ok" for c in checks),
        "problems": sum(c.failed for c in checks),
        "not_configured": sum(c.status == "not configured" for c in checks),
        "failed": [f"{c.area}: {c.name}" for c in checks if c.failed],
    }


def render_table(checks: Iterable[Check]) -> str:
    """Plain-text table: area, what, status, detail, and the fix of each problem."""
    rows = [("AREA", "CHECK", "STATUS", "DETAIL / FIX")]
    for c in checks:
        text = f"{c.detail} -> fix: {c.fix}" if c.failed and c.fix else c.detail
        rows.append((c.area, c.name, "OK" if c.status == "ok" else c.status.upper(), text))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:3])) + "  " + r[3] for r in rows
    )
