"""Open the ICS feed or CalDAV backend of a binding: what a hook does for Google and Outlook, for
the two providers that need no Airflow (registered in ``ponton.sync.adapters``).

Credentials and allow-lists come from the binding's connection, never from the binding row:

* ``ics``: the feed is the connection's ``url`` extra (or its host when that is a full URL), else
  the binding's ``source`` (a file path or a non-secret URL). ``allow_hosts`` (a list or a
  comma-separated string) in the connection extras, or ``PONTON_ICS_ALLOW_HOSTS`` for the whole
  installation, lets trusted loopback/private hosts through the SSRF guard.
* ``caldav``: ``source`` is the calendar's URL; the connection holds ``login`` and ``password``
  (an app password) and may override the URL with a ``calendar_url`` extra; ``allow_hosts`` lets
  a trusted private server through the same guard.

Binding ``options`` may tune :class:`~ponton.ics.limits.Limits` (``max_bytes``, ``max_components``,
``max_properties``, ``max_rdates``, ``max_occurrences``, ``max_total_occurrences``,
``max_rule_steps``, ``max_total_rule_steps``, ``max_text_chars``, ``max_seconds``) and the fetch
``timeout`` in seconds.
"""

from __future__ import annotations

import os
from typing import Any

from ponton.calendars.backends.ics import IcsFeedCalendar
from ponton.errors import ConfigError
from ponton.ics.feeds import FeedOptions
from ponton.ics.limits import Limits
from ponton.net.egress import EgressPolicy
from ponton.secrets import ConnectionInfo, ConnectionResolver

ALLOW_HOSTS_ENV = "PONTON_ICS_ALLOW_HOSTS"
_TUNABLE = (
    "max_bytes",
    "max_components",
    "max_properties",
    "max_rdates",
    "max_occurrences",
    "max_total_occurrences",
    "max_rule_steps",
    "max_total_rule_steps",
    "max_text_chars",
    "max_seconds",
)


def limits_from(options: dict[str, Any] | None) -> Limits:
    """Limits with the binding's overrides; a bad value is a configuration error."""
    chosen = {}
    for name in _TUNABLE:
        if options and name in options:
            try:
                chosen[name] = (float if name == "max_seconds" else int)(options[name])
            except (TypeError, ValueError):
                raise ConfigError(
                    f"binding option {name}={options[name]!r} is not a number"
                ) from None
    return Limits(**chosen)


def allow_list(extra: dict[str, Any] | None) -> tuple[str, ...]:
    def split(value: Any) -> list[str]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        return [str(item).strip() for item in items if str(item).strip()]

    return tuple(split((extra or {}).get("allow_hosts")) + split(os.environ.get(ALLOW_HOSTS_ENV)))


def open_ics_feed(binding, resolver: ConnectionResolver) -> IcsFeedCalendar:
    """``ics``: a read-only feed calendar for ``binding``."""
    conn = resolver.get(binding.conn_id) if binding.conn_id else None
    source = feed_url(conn) or binding.source
    limits = limits_from(binding.options)
    options = FeedOptions(
        allow_hosts=allow_list(conn.extra if conn else None),
        timeout=float((binding.options or {}).get("timeout", FeedOptions().timeout)),
        max_bytes=limits.max_bytes,
        refresh_interval=_refresh_interval(binding.options),
    )
    return IcsFeedCalendar(
        source, options=options, limits=limits, default_timezone=binding.resource_timezone
    )


def open_caldav(binding, resolver: ConnectionResolver):
    """``caldav``: a two-way CalDAV calendar for ``binding``."""
    from ponton.calendars.backends.caldav import CalDavCalendar  # caldav is heavy: when used

    if not binding.conn_id:
        raise ConfigError(
            f"{binding.label}: a CalDAV binding needs --conn-id naming a connection with the "
            "login and app password"
        )
    conn = resolver.get(binding.conn_id)
    calendar_url = conn.extra.get("calendar_url") or binding.source
    return CalDavCalendar.connect(
        calendar_url,
        username=conn.login,
        password=conn.password,
        calendar_url=calendar_url,
        limits=limits_from(binding.options),
        default_timezone=binding.resource_timezone,
        egress=EgressPolicy(allow_hosts=allow_list(conn.extra)),
    )


def _refresh_interval(options: dict[str, Any] | None) -> float | None:
    """The binding's ``refresh_interval`` (seconds, replacing the feed's hint), None if unset."""
    value = (options or {}).get("refresh_interval")
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds < 0:
        raise ConfigError(
            f"binding option refresh_interval={value!r} is not a number of seconds >= 0; "
            "use 0 to fetch the feed on every run"
        )
    return seconds


def feed_url(conn: ConnectionInfo | None) -> str | None:
    """The feed URL a connection holds (its ``url`` extra, or a full URL as host)."""
    if conn is None:
        return None
    if conn.extra.get("url"):
        return str(conn.extra["url"])
    if conn.host and "://" in conn.host:
        return conn.host
    return None
