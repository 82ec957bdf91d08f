"""Calendar bindings: a platform resource (optionally one mission) bound to an external calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ponton.errors import ConfigError, InvalidInputError
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings, missions, resources
from ponton.sync.filters import validate_options
from ponton.sync.planner import DIRECTIONS, POLICIES

PROVIDERS = ("ics", "caldav", "google", "outlook")
DEFAULT_PAST_DAYS = 365
DEFAULT_FUTURE_DAYS = 365


@dataclass(frozen=True)
class Binding:
    id: int
    provider: str
    source: str = field(repr=False)  # may be a private feed URL: never log it
    resource_id: int
    resource_key: str
    resource_timezone: str
    direction: str
    conflict_policy: str
    conn_id: str | None = None
    mission_id: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    cursor: str | None = None
    resource_email: str | None = None

    @property
    def label(self) -> str:
        """How logs and the journal name a binding (the source may be a secret)."""
        return f"binding {self.id} ({self.provider} → {self.resource_key})"

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        past = int(self.options.get("past_days", DEFAULT_PAST_DAYS))
        future = int(self.options.get("future_days", DEFAULT_FUTURE_DAYS))
        return now - timedelta(days=past), now + timedelta(days=future)


def _validate(provider: str, direction: str, policy: str) -> None:
    for value, allowed, what in (
        (provider, PROVIDERS, "provider"),
        (direction, DIRECTIONS, "direction"),
        (policy, POLICIES, "conflict policy"),
    ):
        if value not in allowed:
            raise InvalidInputError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    if provider == "ics" and direction != "import":
        raise InvalidInputError(
            "an ICS feed is read-only: use --direction import (publish feeds with the "
            "ponton_calendar_publish DAG instead)"
        )


def add_binding(
    db: PlatformDB,
    *,
    provider: str,
    source: str,
    resource: str,
    direction: str = "import",
    policy: str = "manual",
    conn_id: str | None = None,
    mission: str | None = None,
    options: dict[str, Any] | None = None,
) -> int:
    """Create a binding (and the resource, named by its key, if it does not exist yet)."""
    _validate(provider, direction, policy)
    validate_options(options)
    with db.begin() as conn:
        resource_id = conn.execute(
            sa.select(resources.c.id).where(resources.c.key == resource)
        ).scalar()
        if resource_id is None:
            resource_id = conn.execute(
                resources.insert().values(key=resource, name=resource).returning(resources.c.id)
            ).scalar_one()
        mission_id = None
        if mission:
            mission_id = conn.execute(
                sa.select(missions.c.id).where(missions.c.code == mission)
            ).scalar()
            if mission_id is None:
                raise InvalidInputError(f"mission {mission!r} does not exist")
        return conn.execute(
            calendar_bindings.insert()
            .values(
                provider=provider,
                source=source,
                conn_id=conn_id,
                resource_id=resource_id,
                mission_id=mission_id,
                direction=direction,
                conflict_policy=policy,
                options=options or {},
            )
            .returning(calendar_bindings.c.id)
        ).scalar_one()


def _query():
    return sa.select(
        calendar_bindings,
        resources.c.key.label("resource_key"),
        resources.c.timezone.label("resource_timezone"),
        resources.c.email.label("resource_email"),
    ).join(resources, resources.c.id == calendar_bindings.c.resource_id)


def _binding(row) -> Binding:
    return Binding(
        id=row.id,
        provider=row.provider,
        source=row.source,
        resource_id=row.resource_id,
        resource_key=row.resource_key,
        resource_timezone=row.resource_timezone,
        direction=row.direction,
        conflict_policy=row.conflict_policy,
        conn_id=row.conn_id,
        mission_id=row.mission_id,
        options=row.options or {},
        enabled=row.enabled,
        cursor=row.sync_token,
        resource_email=row.resource_email,
    )


def load_binding(conn: sa.Connection, binding_id: int) -> Binding:
    row = conn.execute(_query().where(calendar_bindings.c.id == binding_id)).first()
    if row is None:
        raise ConfigError(f"binding {binding_id} does not exist (see `ponton bindings list`)")
    return _binding(row)


def list_bindings(db: PlatformDB, *, enabled_only: bool = False) -> list[Binding]:
    query = _query().order_by(calendar_bindings.c.id)
    if enabled_only:
        query = query.where(calendar_bindings.c.enabled.is_(True))
    with db.engine.connect() as conn:
        return [_binding(row) for row in conn.execute(query)]
