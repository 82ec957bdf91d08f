"""French wording of a client document: dates that cannot be misread, statuses and roles in words.

Raw platform values ("active", "lead", "site_visit") never reach a client: every value printed goes
through one of these tables, and an unknown value prints as itself rather than failing a render.
"""

from __future__ import annotations

from datetime import date

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

STATUSES = {
    "draft": "en préparation",
    "planned": "planifiée",
    "active": "en cours",
    "on_hold": "suspendue",
    "done": "terminée",
    "closed": "terminée",
    "cancelled": "annulée",
}
ROLES = {
    "lead": "chef de mission",
    "team": "équipe",
    "member": "équipe",
    "expert": "expert",
    "observer": "observateur",
}
KINDS = {
    "workshop": "atelier",
    "meeting": "réunion",
    "phase": "phase",
    "site_visit": "visite de site",
    "review": "revue",
    "milestone": "jalon",
    "deadline": "échéance",
    "delivery": "livraison",
}


def french_date(value: date | None, style: str = "long") -> str:
    """``long``: 2 mars 2026; ``short``: lun. 02/03/2026 (always with the year: never ambiguous);
    ``day``: 2 mars (only where the year is printed next to it)."""
    if value is None:
        return "—"
    if style == "short":
        return f"{DAYS[value.weekday()]} {value.day:02d}/{value.month:02d}/{value.year}"
    if style == "day":
        return f"{value.day} {MONTHS_SHORT[value.month - 1]}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def french_range(start: date, end: date) -> str:
    """A period as a reader says it: « 2 → 20 mars 2026 », « 30 mars → 3 avr. 2026 »."""
    if start == end:
        return french_date(start)
    if start.year != end.year:
        return f"{french_date(start)} → {french_date(end)}"
    if start.month != end.month:
        return f"{french_date(start, 'day')} → {french_date(end, 'day')} {end.year}"
    return f"{start.day} → {end.day} {MONTHS[end.month - 1]} {end.year}"


def status_label(value: str) -> str:
    return STATUSES.get(value, value)


def role_label(value: str) -> str:
    return ROLES.get(value, value)


def kind_label(value: str) -> str:
    return KINDS.get(value, value)
