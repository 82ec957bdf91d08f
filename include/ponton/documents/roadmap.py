"""What a roadmap shows, read from the platform DB in one consistent snapshot.

Only data, sorted deterministically: the same DB state always yields the same ``Roadmap`` and so the
same PDF bytes, which is how an unchanged roadmap is detected by its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.errors import InvalidInputError
from ponton.platform import PlatformDB
from ponton.platform.schema import (
    availability,
    conflicts,
    mission_members,
    missions,
    planning_events,
    resources,
)
from ponton.privacy import shown_text

MILESTONE_KINDS = ("milestone", "site_visit", "review", "deadline", "delivery")


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    role: str
    email: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """One line of the timeline: a phase (spans time) or a milestone."""

    start: date
    end: date
    label: str
    kind: str
    who: str
    where: str
    time: str  # "14:00-17:00" or "" for all-day items


@dataclass(frozen=True, slots=True)
class Absence:
    who: str
    start: date
    end: date
    note: str


@dataclass(frozen=True, slots=True)
class Roadmap:
    code: str
    title: str
    client: str
    location: str
    description: str
    status: str
    start: date | None
    end: date | None
    team: tuple[Member, ...]
    milestones: tuple[Item, ...]
    phases: tuple[Item, ...]
    absences: tuple[Absence, ...]
    open_conflicts: int
    timezone: str

    @property
    def weeks(self) -> list[tuple[date, list[Item]]]:
        """Phases grouped by ISO week (Monday), for the week-by-week table."""
        grouped: dict[date, list[Item]] = {}
        for item in self.phases:
            monday = item.start - timedelta(days=item.start.weekday())
            grouped.setdefault(monday, []).append(item)
        return sorted(grouped.items())


def mission_codes(db: PlatformDB, *, status: str = "active") -> list[str]:
    with db.engine.connect() as conn:
        query = sa.select(missions.c.code).where(missions.c.status == status)
        return list(conn.execute(query.order_by(missions.c.code)).scalars())


def _item(row, tz: ZoneInfo) -> Item:
    if row.all_day or row.start_at is None:
        start = row.start_date
        end = (row.end_date or start + timedelta(days=1)) - timedelta(days=1)
        when = ""
    else:
        local_start, local_end = row.start_at.astimezone(tz), row.end_at.astimezone(tz)
        start, end = local_start.date(), local_end.date()
        when = f"{local_start:%H:%M}-{local_end:%H:%M}"
    # A private event shows in a roadmap as unavailability, never with its text.
    label = shown_text(row.privacy, row.summary, label="Indisponible")
    return Item(start, end, label, row.kind, row.who, shown_text(row.privacy, row.location), when)


def load_roadmap(db: PlatformDB, code: str, *, timezone: str = "Europe/Paris") -> Roadmap:
    """The roadmap of mission ``code``; :class:`InvalidInputError` when it does not exist."""
    tz = ZoneInfo(timezone)
    with db.engine.connect() as conn:
        mission = conn.execute(sa.select(missions).where(missions.c.code == code)).first()
        if mission is None:
            raise InvalidInputError(
                f"mission {code!r} does not exist in the platform DB; list the missions with "
                "`ponton db status` or check the code"
            )
        team_rows = conn.execute(
            sa.select(resources.c.id, resources.c.name, resources.c.email, mission_members.c.role)
            .join(mission_members, mission_members.c.resource_id == resources.c.id)
            .where(mission_members.c.mission_id == mission.id)
            .order_by(mission_members.c.role, resources.c.name)
        ).all()
        events = conn.execute(
            sa.select(planning_events, resources.c.name.label("who"))
            .join(resources, resources.c.id == planning_events.c.resource_id)
            .where(
                planning_events.c.mission_id == mission.id,
                planning_events.c.deleted_at.is_(None),
                planning_events.c.status != "cancelled",
            )
            .order_by(
                sa.func.coalesce(planning_events.c.start_date, planning_events.c.start_at),
                planning_events.c.start_at,
                planning_events.c.uid,
            )
        ).all()
        team_ids = [r.id for r in team_rows]
        window = sa.true()
        if mission.start_date and mission.end_date:
            window = sa.and_(
                availability.c.end_at
                > datetime.combine(mission.start_date, datetime.min.time(), tz),
                availability.c.start_at
                < datetime.combine(mission.end_date, datetime.max.time(), tz),
            )
        absences = conn.execute(
            sa.select(availability, resources.c.name.label("who"))
            .join(resources, resources.c.id == availability.c.resource_id)
            .where(availability.c.resource_id.in_(team_ids), availability.c.kind == "busy", window)
            .order_by(availability.c.start_at, resources.c.name)
        ).all()
        open_conflicts = conn.execute(
            sa.select(sa.func.count())
            .select_from(conflicts)
            .where(conflicts.c.status == "open", conflicts.c.resource_id.in_(team_ids))
        ).scalar_one()
    items = [_item(row, tz) for row in events]
    return Roadmap(
        code=mission.code,
        title=mission.title,
        client=mission.client or "",
        location=mission.location or "",
        description=mission.description or "",
        status=mission.status,
        start=mission.start_date,
        end=mission.end_date,
        team=tuple(Member(r.name, r.role or "team", r.email) for r in team_rows),
        milestones=tuple(i for i in items if i.kind in MILESTONE_KINDS),
        phases=tuple(i for i in items if i.kind not in MILESTONE_KINDS),
        absences=tuple(
            Absence(
                a.who,
                a.start_at.astimezone(tz).date(),
                (a.end_at.astimezone(tz) - timedelta(seconds=1)).date(),
                a.note or "indisponible",
            )
            for a in absences
        ),
        open_conflicts=open_conflicts,
        timezone=timezone,
    )
