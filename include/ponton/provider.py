"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Lists ponton's connection types so they appear in the Airflow UI with their form fields. Only
class paths as strings: Airflow imports the hooks itself, this module stays Airflow-free.
"""

from __future__ import annotations

from typing import Any

import ponton

# (connection type, hook class path); each integration adds its hook here.
CONNECTION_TYPES: tuple[tuple[str, str], ...] = (
    ("ponton_platform", "ponton.hooks.platform.PlatformDBHook"),
    ("ponton_google_calendar", "ponton.hooks.google_calendar.GoogleCalendarHook"),
    ("ponton_outlook_calendar", "ponton.hooks.outlook_calendar.OutlookCalendarHook"),
)


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "ponton",
        "name": "ponton",
        "description": "Calendars, storage and mail for the platform's planning and documents.",
        "versions": [ponton.__version__],
        "connection-types": [
            {"connection-type": conn_type, "hook-class-name": hook}
            for conn_type, hook in CONNECTION_TYPES
        ],
    }
