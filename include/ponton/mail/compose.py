"""Turns a ``notifications`` row into an :class:`OutgoingMail`.

The body comes from a Jinja template pair under ``templates/`` (``<name>.txt.j2`` required,
``<name>.html.j2`` optional, HTML autoescaped, undefined variables an error) rendered with the
row's ``context``, or from the row's own ``body_text``/``body_html``. Everything that can be wrong
with the row (address, subject, template, attachment) raises ``InvalidInputError`` naming the
notification, so the dispatcher marks it ``failed`` with that reason instead of retrying.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import sqlalchemy as sa

from ponton import settings
from ponton.errors import InvalidInputError
from ponton.mail.message import (
    MAX_SUBJECT_CHARS,
    Address,
    Attachment,
    OutgoingMail,
    header_text,
    message_reference,
)
from ponton.platform.schema import planning_events, resources
from ponton.privacy import shown_text

TEMPLATES = Path(__file__).with_name("templates")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,100}")
_DAYS_FR = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")


@lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, context: Mapping[str, Any]) -> tuple[str, str | None]:
    """(text, html) of a template pair; html is None when the pair has no HTML half."""
    if not _TEMPLATE_NAME.fullmatch(template or ""):
        raise InvalidInputError(f"template name {template!r} must be lower-case letters/digits/_")
    env = template_env()
    try:
        text = env.get_template(f"{template}.txt.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise InvalidInputError(f"template {template!r} has no {exc.name} in {TEMPLATES}") from exc
    except jinja2.UndefinedError as exc:
        raise InvalidInputError(f"template {template!r} needs a value: {exc.message}") from exc
    try:
        html = env.get_template(f"{template}.html.j2").render(context)
    except jinja2.TemplateNotFound:
        html = None
    except jinja2.UndefinedError as exc:
        raise InvalidInputError(f"template {template!r} needs a value: {exc.message}") from exc
    return text, html


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def weekly_planning_context(conn: sa.Connection, context: Mapping[str, Any]) -> dict[str, Any]:
    """The person's week from the platform DB: one entry per day, recurring items apart."""
    try:
        week_start = date.fromisoformat(str(context["week"]))
        person_key = str(context["person"])
    except (KeyError, ValueError) as exc:
        raise InvalidInputError(
            f"weekly_planning needs context week (ISO date) and person ({exc})"
        ) from exc
    person = conn.execute(sa.select(resources).where(resources.c.key == person_key)).first()
    if person is None:
        raise InvalidInputError(f"weekly_planning: no resource with key {person_key!r}")
    zone = _zone(person.timezone)
    week_end = week_start + timedelta(days=7)
    start = datetime.combine(week_start, time(), tzinfo=zone)
    end = datetime.combine(week_end, time(), tzinfo=zone)
    live = sa.and_(
        planning_events.c.resource_id == person.id, planning_events.c.deleted_at.is_(None)
    )
    timed = conn.execute(
        sa.select(planning_events)
        .where(live, planning_events.c.recurrence.is_(None), planning_events.c.all_day.is_(False))
        .where(planning_events.c.start_at < end, planning_events.c.end_at > start)
        .order_by(planning_events.c.start_at)
    ).all()
    all_day = conn.execute(
        sa.select(planning_events)
        .where(live, planning_events.c.all_day.is_(True))
        .where(planning_events.c.start_date < week_end, planning_events.c.end_date > week_start)
    ).all()
    recurring = conn.execute(
        sa.select(planning_events).where(live, planning_events.c.recurrence.is_not(None))
    ).all()
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in all_day:
        day = max(row.start_date, week_start)
        by_day.setdefault(day, []).append(
            {"when": "journée", "summary": _summary(row), "location": _location(row)}
        )
    for row in timed:
        local_start, local_end = row.start_at.astimezone(zone), row.end_at.astimezone(zone)
        by_day.setdefault(local_start.date(), []).append(
            {
                "when": f"{local_start:%H:%M}-{local_end:%H:%M}",
                "summary": _summary(row),
                "location": _location(row),
            }
        )
    days = [
        {"label": f"{_DAYS_FR[day.weekday()]} {day:%d/%m}", "items": by_day[day]}
        for day in sorted(by_day)
    ]
    weekly = []
    for row in recurring:
        if row.start_at is not None:
            local = row.start_at.astimezone(zone)
            weekly.append(
                {
                    "when": f"{_DAYS_FR[local.weekday()].lower()} {local:%H:%M}",
                    "summary": _summary(row),
                }
            )
    return {
        "person_name": person.name,
        "week_start": week_start,
        "week_end": week_end - timedelta(days=1),
        "days": days,
        "weekly": weekly,
    }


# Templates whose context the platform gives as keys, completed here from the platform DB.
CONTEXT_BUILDERS: dict[str, Callable[[sa.Connection, Mapping[str, Any]], dict[str, Any]]] = {
    "weekly_planning": weekly_planning_context,
}


def load_attachments(specs: Any, home: Path | None = None) -> tuple[Attachment, ...]:
    """Attachments listed as ``[{"path": ..., "filename"?: ..., "content_type"?: ...}]``.

    Paths are relative to ``PONTON_HOME`` and must stay inside it: a notification row cannot
    attach an arbitrary file of the worker.
    """
    if not specs:
        return ()
    if not isinstance(specs, list):
        raise InvalidInputError("attachments must be a list of {path, filename, content_type}")
    root = (home or settings.ponton_home()).resolve()
    loaded = []
    for spec in specs:
        path_text = spec.get("path") if isinstance(spec, dict) else None
        if not path_text:
            raise InvalidInputError(f"attachment {spec!r} has no path")
        path = (root / path_text).resolve()
        if not path.is_relative_to(root):
            raise InvalidInputError(f"attachment {path_text!r} is outside PONTON_HOME ({root})")
        if not path.is_file():
            raise InvalidInputError(f"attachment {path_text!r} does not exist under {root}")
        filename = spec.get("filename") or path.name
        content_type = spec.get("content_type") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        loaded.append(Attachment(filename, content_type, path.read_bytes()))
    return tuple(loaded)


def _text_from_html(html: str) -> str:
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"<[^>]+>", "", html)).strip() + "\n"


def parse_addresses(items: Any, role: str) -> tuple[Address, ...]:
    """A notification's address list: each item an address or ``{"email", "name"}``."""
    if items in (None, ""):
        return ()
    if not isinstance(items, list):
        raise InvalidInputError(f"{role} list must be a list of addresses")
    parsed = []
    for item in items:
        if isinstance(item, dict):
            parsed.append(Address.parse(str(item.get("email") or ""), item.get("name"), role=role))
        else:
            parsed.append(Address.parse(str(item), role=role))
    return tuple(parsed)


def compose(row: Mapping[str, Any], sender: Address, conn: sa.Connection | None) -> OutgoingMail:
    """The message for one notifications row (``conn`` feeds templates that read the platform)."""
    nid = row["id"]
    try:
        to = parse_addresses(row["to_recipients"], "recipient")
        cc = parse_addresses(row.get("cc_recipients"), "Cc recipient")
        bcc = parse_addresses(row.get("bcc_recipients"), "Bcc recipient")
        reply_to = (
            Address.parse(row["reply_to"], row.get("reply_to_name"), role="Reply-To")
            if row.get("reply_to")
            else None
        )
        subject = header_text(row["subject"], "subject", MAX_SUBJECT_CHARS)
        if row.get("template"):
            context = dict(row.get("context") or {})
            builder = CONTEXT_BUILDERS.get(row["template"])
            if builder is not None:
                if conn is None:
                    raise InvalidInputError(f"template {row['template']!r} reads the platform DB")
                context |= builder(conn, context)
            text, html = render(row["template"], context)
        elif row.get("body_text") or row.get("body_html"):
            html = row.get("body_html")
            text = row.get("body_text") or _text_from_html(html)
        else:
            raise InvalidInputError("it has neither a template nor a body")
        return OutgoingMail(
            reference=message_reference(nid, row.get("created_at")),
            sender=sender,
            to=to,
            subject=subject,
            text=text,
            html=html,
            attachments=load_attachments(row.get("attachments")),
            notification_id=nid,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
        )
    except InvalidInputError as exc:
        raise InvalidInputError(f"notification {nid}: {exc}") from exc


def _summary(row: Any) -> str:
    """A private event is mailed as "Occupé" and its time, nothing more."""
    return shown_text(row.privacy, row.summary, label="Occupé")


def _location(row: Any) -> str:
    return shown_text(row.privacy, row.location)
