"""Which adapter serves which provider, resolved at run time.

Only dotted paths here: the CLI and the DAG import just the adapter a binding needs. Google and
Outlook adapters are Airflow hooks (their credentials are Airflow connections), so those two need
Airflow installed; ICS feeds and CalDAV work with the domain alone.
"""

from __future__ import annotations

import importlib

from ponton.errors import ConfigError
from ponton.secrets import ConnectionResolver
from ponton.sync.bindings import Binding
from ponton.sync.engine import CalendarOpener
from ponton.sync.port import RemoteCalendar

FACTORIES: dict[str, str] = {
    "ics": "ponton.ics.bindings:open_ics_feed",
    "caldav": "ponton.ics.bindings:open_caldav",
    "google": "ponton.hooks.google_calendar:open_google_calendar",
    "outlook": "ponton.hooks.outlook_calendar:open_outlook_calendar",
}


def calendar_opener(resolver: ConnectionResolver) -> CalendarOpener:
    """A function opening the remote calendar of a binding, credentials from ``resolver``."""

    def open_calendar(binding: Binding) -> RemoteCalendar:
        path = FACTORIES.get(binding.provider)
        if path is None:
            raise ConfigError(
                f"{binding.label}: no adapter for provider {binding.provider!r} in this "
                f"installation (available: {', '.join(sorted(FACTORIES)) or 'none'})"
            )
        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name)(binding, resolver)

    return open_calendar
