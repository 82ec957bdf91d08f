"""Which backend serves which binding provider, derived from the one registry of connection types.

Google and Outlook are opened through their hooks (``ponton.provider.hooks_for("calendar")``:
credentials are Airflow connections, so those two need Airflow installed); ICS feeds and CalDAV
need no hook and are opened from the binding's connection by
``ponton.calendars.backends.connect``. Only dotted paths here: the CLI and the DAG import just
the backend a binding needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial

from ponton.errors import ConfigError
from ponton.provider import hooks_for
from ponton.secrets import ConnectionResolver
from ponton.sync.bindings import Binding
from ponton.sync.engine import CalendarOpener
from ponton.sync.port import RemoteCalendar

Opener = Callable[[Binding, ConnectionResolver], RemoteCalendar]
HOOKLESS = {
    "ics": "ponton.calendars.backends.connect:open_ics_feed",
    "caldav": "ponton.calendars.backends.connect:open_caldav",
}


def provider_of(conn_type: str) -> str:
    """The binding provider a calendar connection type serves: ``ponton_<provider>_calendar``."""
    return conn_type.removeprefix("ponton_").removesuffix("_calendar")


def _import(path: str):
    """``module:name`` or ``module.Name``."""
    module, _, name = path.rpartition(":") if ":" in path else path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def open_hookless(opener_path: str, binding: Binding, resolver: ConnectionResolver):
    return _import(opener_path)(binding, resolver)


def open_with_hook(hook_path: str, binding: Binding, resolver: ConnectionResolver):
    """The hook authenticates from the binding's connection (or its default one) through Airflow
    itself, so ``resolver`` is not needed; ``get_conn()`` is the backend."""
    hook_class = _import(hook_path)
    conn_id = binding.conn_id or hook_class.default_conn_name
    hook = hook_class(
        **{hook_class.conn_name_attr: conn_id}, calendar_id=binding.source, options=binding.options
    )
    return hook.get_conn()


# ICS and CalDAV connection types have hooks too (so the UI lists and tests them), but a sync
# opens them from the binding's connection: the hookless openers win.
FACTORIES: dict[str, Opener] = {
    provider_of(conn_type): partial(open_with_hook, hook)
    for conn_type, hook in hooks_for("calendar").items()
} | {provider: partial(open_hookless, path) for provider, path in HOOKLESS.items()}


def calendar_opener(resolver: ConnectionResolver) -> CalendarOpener:
    """A function opening the remote calendar of a binding, credentials from ``resolver``."""

    def open_calendar(binding: Binding) -> RemoteCalendar:
        factory = FACTORIES.get(binding.provider)
        if factory is None:
            raise ConfigError(
                f"{binding.label}: no backend for provider {binding.provider!r} in this "
                f"installation (available: {', '.join(sorted(FACTORIES)) or 'none'})"
            )
        return factory(binding, resolver)

    return open_calendar
