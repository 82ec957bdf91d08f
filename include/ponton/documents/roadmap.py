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
CONFLICT_REASONS = {"double_booking": "double réservation", "edit_edit": "modification concurrente"}


@dataclass(frozen=True, slots=True)
class Edition:
    """Which edition of the document this is, printed on every page. Never read from the clock
    while rendering (the caller decides), so a render stays a pure function of its inputs."""

    version: int
    generated_on: date


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    role: str
    email: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """One bar of the timeline: a phase (spans time) or a milestone, with everyone it involves.

    The same phase planned for several members is one item (one bar), not one per person.
    """

    start: date
    end: date  # inclusive: a phase on 16/03 → 03/04 ends on 03/04
    label: str
    kind: str
    people: tuple[str, ...]
    where: str
    time: str  # "14:00-17:00" or "" for all-day items

    @property
    def who(self) -> str:
        return ", ".join(self.people)


@dataclass(frozen=True, slots=True)
class Absence:
    who: str
    start: date
    end: date
    note: str


@dataclass(frozen=True, slots=True)
class Clash:
    """A day range where a member is needed while unavailable, or an open platform conflict."""

    who: str
    start: date
    end: date
    reason: str  # "indisponible" or "double réservation" / "modification concurrente"


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
    clashes: tuple[Clash, ...]
    open_conflicts: int
    timezone: str

    @property
    def span(self) -> tuple[date, date] | None:
        """First and last day the timeline must show: the mission and everything planned in it."""
        days = [d for d in (self.start, self.end) if d is not None]
        days += [d for item in (*self.phases, *self.milestones) for d in (item.start, item.end)]
        return (min(days), max(days)) if days else None

    @property
    def weeks(self) -> list[tuple[date, list[Item]]]:
        """Phases and milestones grouped by the ISO week they start in, for the detail table."""
        grouped: dict[date, list[Item]] = {}
        for item in sorted((*self.phases, *self.milestones), key=lambda i: (i.start, i.time)):
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
        local_start = row.start_at.astimezone(tz)
        local_end = (row.end_at or row.start_at).astimezone(tz)
        start = local_start.date()
        end = max(start, (local_end - timedelta(microseconds=1)).date())
        when = f"{local_start:%H:%M}-{local_end:%H:%M}"
    # A private event shows in a roadmap as unavailability, never with its text.
    label = shown_text(row.privacy, row.summary, label="Indisponible")
    where = shown_text(row.privacy, row.location) or ""
    return Item(start, end, label, row.kind, (row.who,), where, when)


def _merged(items: list[Item]) -> tuple[Item, ...]:
    """One item per (label, kind, dates, time, place), naming every member it involves."""
    people: dict[tuple, list[str]] = {}
    for item in items:
        key = (item.start, item.end, item.time, item.label, item.kind, item.where)
        names = people.setdefault(key, [])
        names.extend(p for p in item.people if p not in names)
    return tuple(
        Item(start, end, label, kind, tuple(sorted(names)), where, time)
        for (start, end, time, label, kind, where), names in sorted(people.items())
    )


def _clashes(items: list[Item], absences: tuple[Absence, ...], conflict_rows, tz) -> list[Clash]:
    """Where a member is planned while unavailable, and each open conflict's day."""
    found = set()
    for absence in absences:
        for item in items:
            if (
                absence.who in item.people
                and item.start <= absence.end
                and absence.start <= item.end
            ):
                found.add(
                    Clash(
                        absence.who,
                        max(item.start, absence.start),
                        min(item.end, absence.end),
                        "indisponible",
                    )
                )
    for row in conflict_rows:
        version = row.platform_version or {}
        start = version.get("start") or version.get("start_at")
        day = datetime.fromisoformat(start).astimezone(tz).date() if start else None
        day = day or row.detected_at.astimezone(tz).date()
        found.add(Clash(row.who, day, day, CONFLICT_REASONS.get(row.kind, row.kind)))
    return sorted(found, key=lambda c: (c.start, c.who, c.end, c.reason))


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
        conflict_rows = conn.execute(
            sa.select(
                conflicts.c.kind,
                conflicts.c.platform_version,
                conflicts.c.detected_at,
                resources.c.name.label("who"),
            )
            .join(resources, resources.c.id == conflicts.c.resource_id)
            .where(conflicts.c.status == "open", conflicts.c.resource_id.in_(team_ids))
            .order_by(conflicts.c.id)
        ).all()
    items = [_item(row, tz) for row in events]
    absent = tuple(
        Absence(
            a.who,
            a.start_at.astimezone(tz).date(),
            (a.end_at.astimezone(tz) - timedelta(seconds=1)).date(),
            # A block imported from someone's own calendar carries that calendar's title: a client
            # document says "indisponible", never what the appointment was.
            _label(a.note) if a.origin == "platform" else "indisponible",
        )
        for a in absences
    )
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
        milestones=_merged([i for i in items if i.kind in MILESTONE_KINDS]),
        phases=_merged([i for i in items if i.kind not in MILESTONE_KINDS]),
        absences=absent,
        clashes=tuple(_clashes(items, absent, conflict_rows, tz)),
        open_conflicts=len(conflict_rows),
        timezone=timezone,
    )


def _label(note: str | None) -> str:
    return note or "indisponible"
