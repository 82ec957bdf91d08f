"""Hook for an ICS feed's connection (``ponton_ics``): the private feed URL and its allow-list.

The sync reads these connections through the domain (``ponton.calendars.backends.connect``); the
hook exists so the type is listed in the Airflow UI with its form, and so the UI's Test button
and ``ponton doctor`` fetch the feed the way a sync does (same SSRF guard, same allow-list).
"""

from __future__ import annotations

from airflow.sdk import BaseHook

from ponton.calendars.backends.connect import allow_list, feed_url
from ponton.errors import ConfigError, PontonError
from ponton.hooks.connections import AirflowConnectionResolver
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.ics.feeds import FeedOptions, fetch_feed, redact


class IcsFeedHook(MaskedConnectionMixin, BaseHook):
    conn_name_attr = "ics_conn_id"
    default_conn_name = "ponton_ics"
    conn_type = "ponton_ics"
    hook_name = "ICS feed (ponton)"

    def __init__(self, *, ics_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.ics_conn_id = ics_conn_id

    def get_conn(self) -> tuple[str, FeedOptions]:
        """The feed URL and how it may be fetched."""
        info = AirflowConnectionResolver().get(self.ics_conn_id)
        url = feed_url(info)
        if not url:
            raise ConfigError(
                f"connection {self.ics_conn_id!r} has no feed URL; set its url extra "
                "(or a full URL as host)"
            )
        return url, FeedOptions(allow_hosts=allow_list(info.extra))

    def test_connection(self) -> tuple[bool, str]:
        try:
            url, options = self.get_conn()
            result = fetch_feed(url, options=options)
        except PontonError as exc:
            return False, str(exc)
        body = result.body or b""
        if b"BEGIN:VCALENDAR" not in body[:4096].upper():
            return False, f"feed {redact(url)} answered but not with iCalendar data; check the URL"
        return True, f"feed {redact(url)} answered with {len(body)} bytes of iCalendar"
