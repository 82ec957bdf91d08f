"""Demo ICS feeds for ``make demo``, built around the seed's week (``seed.monday_of``).

The seed places events relative to the current Monday, so the feeds are generated for an anchor
date rather than stored: ``demo_feed(anchor, "ana.martin")`` holds an edit of a platform event
(moved by 30 minutes and renamed, as if Ana changed it in her own calendar) and foreign busy time,
one block of which overlaps a planning workshop (a double booking), a private medical appointment
(CLASS:PRIVATE: it must block her time and show nothing else) and an invitation she declined
(overlapping a workshop, yet neither busy time nor a double booking); ``"bruno.leroy"`` holds
foreign events only, one of them recurring. Output is deterministic for a given anchor, so a rerun
serves the same bytes (same feed hash, nothing to sync).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ponton.ics.export import export_calendar
from ponton.model import Attendee, Event

PARIS = ZoneInfo("Europe/Paris")
DEMO_FEEDS = ("ana.martin", "bruno.leroy")
#: The platform event the Ana feed edits (created by ponton.demo.seed).
EDITED_UID = "M-2026-014-w0-ana.martin@demo.ponton"
#: Ana's private appointment and the invitation she declined, in her feed.
PRIVATE_UID = "ana-medecin@agenda.example.com"
DECLINED_UID = "ana-copil@agenda.example.com"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _busy(uid: str, summary: str, start: datetime, end: datetime, **extra) -> Event:
    return Event(
        uid=f"{uid}@agenda.example.com",
        start=start,
        end=end,
        summary=summary,
        timezone="Europe/Paris",
        **extra,
    )


def demo_events(anchor: date, resource_key: str) -> list[Event]:
    """The events of ``resource_key``'s demo feed for the week of ``anchor``."""
    monday = anchor - timedelta(days=anchor.weekday())
    if resource_key == "ana.martin":
        tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
        return [
            Event(
                uid=EDITED_UID,
                start=_at(tuesday, 14, 30),
                end=_at(tuesday, 17, 30),
                summary="Audit énergétique — Lycée Jules Ferry — atelier (décalé 14h30)",
                location="Paris 11e",
                timezone="Europe/Paris",
                sequence=1,
            ),
            # Overlaps the M-2026-021 workshop (Wednesday 14:00-17:00): a double booking.
            _busy("ana-notaire", "Rendez-vous notaire", _at(wednesday, 15), _at(wednesday, 16)),
            _busy("ana-dentiste", "Dentiste", _at(wednesday, 8, 30), _at(wednesday, 9, 15)),
            _busy(
                "ana-veille",
                "Veille réglementaire (libre)",
                _at(monday + timedelta(days=4), 11),
                _at(monday + timedelta(days=4), 12),
                transparency="TRANSPARENT",
            ),
            _busy(
                "ana-medecin",
                "RDV médical — Dr Lambert (privé)",
                _at(monday + timedelta(days=3), 10),
                _at(monday + timedelta(days=3), 11),
                description="Bilan annuel, apporter les résultats d'analyse",
                location="Cabinet Dr Lambert, Paris 15e",
                privacy="PRIVATE",
            ),
            # Declined by Ana: overlaps the M-2026-021 workshop but blocks nothing.
            _busy(
                "ana-copil",
                "Comité de pilotage régional",
                _at(wednesday, 14),
                _at(wednesday, 15),
                organizer="direction@example.com",
                attendees=(Attendee("ana.martin@example.com", "Ana Martin", "DECLINED"),),
            ),
        ]
    if resource_key == "bruno.leroy":
        return [
            _busy(
                "bruno-sport",
                "Sport",
                _at(monday, 18),
                _at(monday, 19, 30),
                recurrence=("RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO,TH",),
            ),
            Event(
                uid="bruno-conges@agenda.example.com",
                start=monday + timedelta(weeks=3),
                end=monday + timedelta(weeks=3, days=2),
                summary="Congés",
            ),
        ]
    raise ValueError(f"no demo feed for {resource_key!r}; choose one of {', '.join(DEMO_FEEDS)}")


def demo_feed(anchor: date, resource_key: str) -> bytes:
    """The demo ICS feed of ``resource_key`` (one of ``DEMO_FEEDS``) for the week of ``anchor``."""
    stamp = datetime.combine(anchor, time(), tzinfo=UTC)
    return export_calendar(
        demo_events(anchor, resource_key), f"Agenda personnel — {resource_key}", dtstamp=stamp
    )


def write_demo_feeds(folder: Path, anchor: date) -> dict[str, Path]:
    """Write every demo feed under ``folder`` (``<resource_key>.ics``); file sources need no
    server and no SSRF allow-list. Returns resource key -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key in DEMO_FEEDS:
        path = folder / f"{key}.ics"
        data = demo_feed(anchor, key)
        if not path.exists() or path.read_bytes() != data:  # keep the mtime: unchanged stays so
            path.write_bytes(data)
        paths[key] = path
    return paths
