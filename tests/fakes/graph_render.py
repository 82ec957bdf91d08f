"""How the Graph fake answers an event: the representation depends on the request's ``Prefer``.

* Times: "If the Prefer: outlook.timezone header is not specified, the start and end properties
  are returned in UTC"; with it, in the zone it names (Windows or IANA), echoed in
  ``start.timeZone``: https://learn.microsoft.com/en-us/graph/api/event-get and
  https://learn.microsoft.com/en-us/graph/api/user-list-calendarview (both document the header).
  All-day events are not converted (their dates are the day itself); the docs are silent, the
  harsher reading keeps them as stored.
* Bodies: "body: The body of the message associated with the event. It can be in HTML or text
  format" and ``Prefer: outlook.body-content-type="text"`` asks for text; without it the body
  comes back as HTML: https://learn.microsoft.com/en-us/graph/api/event-get (Request headers).
* ``originalStartTimeZone`` / ``originalEndTimeZone``: "The start time zone that was set when the
  event was created": https://learn.microsoft.com/en-us/graph/api/resources/event. The docs
  do not say in which naming; the harsher reading answers the Windows name (Outlook's own).
* In a ``$batch`` only each request's own headers count (the docs show per-request headers; the
  harsher reading ignores the envelope's): https://learn.microsoft.com/en-us/graph/json-batching
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

FORMAT = "%Y-%m-%dT%H:%M:%S.0000000"
_IANA_TO_WINDOWS: dict[str, str] = {}
for _windows, _iana in WINDOWS_TO_OLSON.items():
    _IANA_TO_WINDOWS.setdefault(_iana, _windows)


def zone_of(name: str | None) -> ZoneInfo:
    """What Graph understands by a zone name: Windows (CLDR table) or IANA; UTC when absent."""
    if not name or name == "UTC":
        return ZoneInfo("UTC")
    return ZoneInfo(WINDOWS_TO_OLSON.get(name, name))


def windows_name(name: str | None) -> str:
    if not name or name == "UTC":
        return "UTC"
    return name if name in WINDOWS_TO_OLSON else _IANA_TO_WINDOWS.get(name, name)


def preferences(headers: Any) -> dict[str, str]:
    """``Prefer: a=1, outlook.timezone="X"`` -> {"a": "1", "outlook.timezone": "X"}."""
    found = {}
    for part in (headers or {}).get("Prefer", "").split(","):
        key, _, value = part.strip().partition("=")
        if key:
            found[key.strip().lower()] = value.strip().strip('"')
    return found


def instant(raw: dict[str, str]) -> datetime:
    naive = datetime.fromisoformat(raw["dateTime"].split(".")[0])
    return naive.replace(tzinfo=zone_of(raw.get("timeZone"))).astimezone(UTC)


def _in_zone(raw: dict[str, str], name: str) -> dict[str, str]:
    local = instant(raw).astimezone(zone_of(name))
    return {"dateTime": local.strftime(FORMAT), "timeZone": name}


def text_to_html(text: str) -> str:
    lines = "<br>\r\n".join(html.escape(line) for line in text.splitlines())
    return f"<html><head></head><body>{lines}</body></html>"


def html_to_text(content: str) -> str:
    body = re.sub(r"(?is).*<body[^>]*>|</body>.*", "", content)
    body = re.sub(r"(?i)<br\s*/?>\s*", "\n", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body)).strip("\n")


def render(item: dict[str, Any], headers: Any) -> dict[str, Any]:
    """The stored event as Graph answers it to a request with ``headers``."""
    prefer = preferences(headers)
    shown = dict(item)
    if not item.get("isAllDay") and "start" in item:
        name = prefer.get("outlook.timezone", "UTC")
        shown["start"], shown["end"] = _in_zone(item["start"], name), _in_zone(item["end"], name)
    body = item.get("body")
    if isinstance(body, dict):
        wanted = prefer.get("outlook.body-content-type", "html").lower()
        content, kind = body.get("content") or "", (body.get("contentType") or "text").lower()
        if kind != wanted:
            content = text_to_html(content) if wanted == "html" else html_to_text(content)
        shown["body"] = {"contentType": wanted, "content": content}
    return shown
