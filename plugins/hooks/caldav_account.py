"""Hook for a CalDAV account's connection (``ponton_caldav``): user, app password, calendar URL.

Listed in the Airflow UI with its form; the Test button and ``ponton doctor`` open the calendar
the way a sync does (``ponton.calendars.backends.connect.open_caldav``) and list nothing more
than its name.
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from ponton.errors import ConfigError, PontonError
from ponton.hooks.connections import AirflowConnectionResolver
from ponton.hooks.masking import MaskedConnectionMixin


class CalDavHook(MaskedConnectionMixin, BaseHook):
    conn_name_attr = "caldav_conn_id"
    default_conn_name = "ponton_caldav"
    conn_type = "ponton_caldav"
    hook_name = "CalDAV calendar (ponton)"

    def __init__(self, *, caldav_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.caldav_conn_id = caldav_conn_id

    def get_conn(self):
        """The CalDAV calendar named by the connection's ``calendar_url`` extra."""
        from ponton.calendars.backends.caldav import CalDavCalendar
        from ponton.calendars.backends.connect import allow_list
        from ponton.net.egress import EgressPolicy

        info = AirflowConnectionResolver().get(self.caldav_conn_id)
        url = info.extra.get("calendar_url")
        if not url:
            raise ConfigError(
                f"connection {self.caldav_conn_id!r} has no calendar_url extra; a binding's "
                "source is used instead, so test that binding with `ponton sync run --dry-run`"
            )
        return CalDavCalendar.connect(
            url,
            username=info.login,
            password=info.password,
            calendar_url=url,
            egress=EgressPolicy(allow_hosts=allow_list(info.extra)),
        )

    def test_connection(self) -> tuple[bool, str]:
        try:
            calendar = self.get_conn()
            calendar.list_changes(None, *_today())
        except PontonError as exc:
            return False, str(exc)
        return True, "the calendar answered a listing of today's events with these credentials"


def _today():
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
