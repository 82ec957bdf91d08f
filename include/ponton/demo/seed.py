"""Seeds the platform DB with a realistic month of planning (idempotent: keyed by stable uids)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.schema import (
    availability,
    mission_members,
    missions,
    notifications,
    planning_events,
    resources,
)

PARIS = ZoneInfo("Europe/Paris")

PEOPLE = (
    ("ana.martin", "Ana Martin", "ana.martin@example.com"),
    ("bruno.leroy", "Bruno Leroy", "bruno.leroy@example.com"),
    ("chloe.dubois", "Chloé Dubois", "chloe.dubois@example.com"),
    ("david.nguyen", "David Nguyen", "david.nguyen@example.com"),
)
ROOMS = (("salle-seine", "Salle Seine"), ("salle-loire", "Salle Loire"))
MISSIONS = (
    (
        "M-2026-014",
        "Audit énergétique — Lycée Jules Ferry",
        "Région Île-de-France",
        "Paris 11e",
        ("ana.martin", "bruno.leroy"),
    ),
    (
        "M-2026-021",
        "Rénovation du pont de Tolbiac",
        "Ville de Paris",
        "Paris 13e",
        ("chloe.dubois", "david.nguyen", "ana.martin"),
    ),
    (
        "M-2026-030",
        "Diagnostic structure — Halle Freyssinet",
        "SNCF Immobilier",
        "Paris 13e",
        ("bruno.leroy", "david.nguyen"),
    ),
)


@dataclass(frozen=True)
class SeedSummary:
    resources: int
    missions: int
    events: int
    availability: int
    notifications: int


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _upsert(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict]) -> dict[str, int]:
    """Insert rows whose ``key`` is new; return key → id for all of them."""
    existing = dict(conn.execute(sa.select(table.c[key], table.c.id)).all())
    fresh = [row for row in rows if row[key] not in existing]
    if fresh:
        conn.execute(table.insert(), fresh)
    return dict(conn.execute(sa.select(table.c[key], table.c.id)).all())


def _events(anchor: date, people: dict[str, int], rooms: dict[str, int], mission_ids: dict):
    events = []

    def add(uid, resource, summary, start, end, mission=None, **extra):
        events.append(
            {
                "uid": f"{uid}@demo.ponton",
                "resource_id": resource,
                "mission_id": mission,
                "summary": summary,
                "start_at": start,
                "end_at": end,
                "timezone": "Europe/Paris",
                "location": None,
                "recurrence": None,
                "all_day": False,
                "start_date": None,
                "end_date": None,
                "kind": "meeting",
            }
            | extra
        )

    for key, resource in people.items():
        add(
            f"weekly-{key}",
            resource,
            "Point d'équipe hebdomadaire",
            _at(anchor, 9, 30),
            _at(anchor, 10, 0),
            recurrence="RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO",
            kind="meeting",
        )
    for index, (code, title, _client, location, members) in enumerate(MISSIONS):
        mission = mission_ids[code]
        for week in range(4):
            day = anchor + timedelta(weeks=week, days=1 + index)
            for member in members:
                add(
                    f"{code}-w{week}-{member}",
                    people[member],
                    f"{title} — atelier",
                    _at(day, 14),
                    _at(day, 17),
                    mission=mission,
                    location=location,
                    kind="workshop",
                )
        site_day = anchor + timedelta(weeks=1, days=3 + index % 2)
        add(
            f"{code}-site",
            people[members[0]],
            f"Visite de site — {title}",
            None,
            None,
            mission=mission,
            all_day=True,
            start_date=site_day,
            end_date=site_day + timedelta(days=2 if index == 1 else 1),
            location=location,
            kind="site_visit",
        )
        add(
            f"{code}-room",
            rooms["salle-seine" if index % 2 == 0 else "salle-loire"],
            f"Revue de mission {code}",
            _at(anchor + timedelta(days=2 + index), 11),
            _at(anchor + timedelta(days=2 + index), 12),
            mission=mission,
            kind="review",
        )
    return events


def seed(db: PlatformDB, anchor: date | None = None) -> SeedSummary:
    """Create the demo world around ``anchor`` (default: this week's Monday); safe to rerun."""
    anchor = monday_of(anchor or datetime.now(UTC).date())
    with db.begin() as conn:
        people = _upsert(
            conn,
            resources,
            "key",
            [
                {"key": k, "name": n, "email": e, "kind": "person", "timezone": "Europe/Paris"}
                for k, n, e in PEOPLE
            ],
        )
        rooms = _upsert(
            conn,
            resources,
            "key",
            [{"key": k, "name": n, "kind": "room", "timezone": "Europe/Paris"} for k, n in ROOMS],
        )
        mission_ids = _upsert(
            conn,
            missions,
            "code",
            [
                {
                    "code": code,
                    "title": title,
                    "client": client,
                    "location": location,
                    "description": f"Mission {code} pour {client}.",
                    "start_date": anchor,
                    "end_date": anchor + timedelta(weeks=6),
                }
                for code, title, client, location, _ in MISSIONS
            ],
        )
        existing_members = set(
            conn.execute(sa.select(mission_members.c.mission_id, mission_members.c.resource_id))
        )
        members = [
            {
                "mission_id": mission_ids[code],
                "resource_id": people[m],
                "role": "lead" if i == 0 else "team",
            }
            for code, *_rest, team in MISSIONS
            for i, m in enumerate(team)
            if (mission_ids[code], people[m]) not in existing_members
        ]
        if members:
            conn.execute(mission_members.insert(), members)
        all_people = {k: people[k] for k, *_ in PEOPLE}
        events = _events(anchor, all_people, rooms, mission_ids)
        _upsert(conn, planning_events, "uid", events)
        if conn.execute(sa.select(sa.func.count()).select_from(availability)).scalar_one() == 0:
            conn.execute(
                availability.insert(),
                [
                    {
                        "resource_id": all_people["bruno.leroy"],
                        "start_at": _at(anchor + timedelta(days=4), 8),
                        "end_at": _at(anchor + timedelta(days=4), 19),
                        "kind": "busy",
                        "origin": "platform",
                        "note": "Formation sécurité chantier",
                    },
                    {
                        "resource_id": all_people["chloe.dubois"],
                        "start_at": _at(anchor + timedelta(weeks=2), 0),
                        "end_at": _at(anchor + timedelta(weeks=2, days=5), 0),
                        "kind": "busy",
                        "origin": "platform",
                        "note": "Congés",
                    },
                ],
            )
        if conn.execute(sa.select(sa.func.count()).select_from(notifications)).scalar_one() == 0:
            conn.execute(
                notifications.insert(),
                [
                    {
                        "to_recipients": [{"email": email, "name": name}],
                        "subject": f"Votre planning de la semaine du {anchor:%d/%m}",
                        "template": "weekly_planning",
                        "context": {"week": anchor.isoformat(), "person": key},
                    }
                    for key, name, email in PEOPLE
                ],
            )
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (resources, missions, planning_events, availability, notifications)
        }
    return SeedSummary(
        resources=counts["resources"],
        missions=counts["missions"],
        events=counts["planning_events"],
        availability=counts["availability"],
        notifications=counts["notifications"],
    )
