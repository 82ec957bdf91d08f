"""Hook for Google Calendar (``ponton_google_calendar`` connection), on the google provider's
``GoogleBaseHook``.

Credentials, in this order: an OAuth refresh token in the extras (``refresh_token``; the OAuth
client id and secret in Login and Password), else whatever GoogleBaseHook resolves (``key_path``,
``keyfile_dict``, workload identity...) made to act as ``subject`` (domain-wide delegation) when the
extras name one. The adapter it hands out does paging, batching, retries and error translation.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

from ponton.hooks.masking import MaskedConnectionMixin

SCOPES = ("https://www.googleapis.com/auth/calendar",)
DEFAULT_ENDPOINT = "https://www.googleapis.com/calendar/v3/"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret


class GoogleCalendarHook(MaskedConnectionMixin, GoogleBaseHook):
    """Builds the Calendar v3 client and hands out one RemoteCalendar adapter per calendar."""

    conn_name_attr = "google_calendar_conn_id"
    default_conn_name = "google_calendar_default"
    conn_type = "ponton_google_calendar"
    hook_name = "Google Calendar (ponton)"

    def __init__(self, *, google_calendar_conn_id: str = default_conn_name) -> None:
        super().__init__(gcp_conn_id=google_calendar_conn_id)
        self.google_calendar_conn_id = google_calendar_conn_id

    @property
    def scopes(self) -> list[str]:
        """Calendar read/write, whatever the connection's ``scope`` says for other Google APIs."""
        return list(SCOPES)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        widgets = super().get_connection_form_widgets()
        for name, label in (
            ("subject", "Delegated user (domain-wide delegation)"),
            ("refresh_token", "OAuth refresh token"),
            ("api_endpoint", "API endpoint (empty: Google)"),
        ):
            widgets[name] = StringField(lazy_gettext(label), widget=BS3TextFieldWidget())
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        behaviour = super().get_ui_field_behaviour()
        behaviour["hidden_fields"] = ["host", "schema", "port"]
        behaviour["relabeling"] = {"login": "OAuth client id", "password": "OAuth client secret"}
        return behaviour

    # -- typed extras -----------------------------------------------------------------------------
    @property
    def subject(self) -> str | None:
        return self._get_field("subject") or None

    @property
    def refresh_token(self) -> str | None:
        return self._get_field("refresh_token") or None

    @property
    def api_endpoint(self) -> str:
        return self._get_field("api_endpoint") or DEFAULT_ENDPOINT

    @property
    def token_uri(self) -> str:
        return self._get_field("token_uri") or DEFAULT_TOKEN_URI

    @property
    def batch_uri(self) -> str:
        """Batches go to the endpoint's host (the client library would use googleapis.com)."""
        parts = urlsplit(self.api_endpoint)
        return f"{parts.scheme}://{parts.netloc}/batch/calendar/v3"

    # -- client -----------------------------------------------------------------------------------
    def get_credentials(self):
        if self.refresh_token:
            from google.oauth2.credentials import Credentials

            conn = self.get_connection(self.google_calendar_conn_id)
            return Credentials(
                None,
                refresh_token=self.refresh_token,
                client_id=conn.login,
                client_secret=conn.password,
                token_uri=self.token_uri,
                scopes=list(SCOPES),
            )
        credentials = super().get_credentials()
        if self.subject:
            if not hasattr(credentials, "with_subject"):
                from ponton.errors import ConfigError

                raise ConfigError(
                    f"connection {self.google_calendar_conn_id!r} names a delegated user but its "
                    "credentials are not a service account key; use a key file or drop 'subject'"
                )
            credentials = credentials.with_subject(self.subject)
        return credentials

    @cached_property
    def service(self) -> Any:
        from googleapiclient.discovery import build

        return build(
            "calendar",
            "v3",
            credentials=self.get_credentials(),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.api_endpoint},
        )

    def get_conn(self) -> Any:
        return self.service

    def calendar(self, calendar_id: str, options: dict[str, Any] | None = None):
        """The RemoteCalendar for ``calendar_id`` ("primary" or an address); ``options`` are the
        binding's: ``write_attendees`` (default True), ``send_updates`` (default "none": guests are
        never mailed), ``retry_attempts``, ``retry_max_seconds``."""
        from ponton.calendars.google_api import GoogleCalendarAdapter
        from ponton.retry import RetryPolicy
        from ponton.sync.filters import send_updates_from

        options = options or {}
        return GoogleCalendarAdapter(
            self.service,
            calendar_id,
            conn_id=self.google_calendar_conn_id,
            batch_uri=self.batch_uri,
            write_attendees=bool(options.get("write_attendees", True)),
            send_updates=send_updates_from(options),
            retry=RetryPolicy(
                attempts=int(options.get("retry_attempts", 6)),
                max_seconds=float(options.get("retry_max_seconds", 60)),
            ),
        )

    def test_connection(self) -> tuple[bool, str]:
        from ponton.errors import PontonError

        calendar_id = self._get_field("calendar_id") or "primary"
        try:
            self.calendar(calendar_id, {"retry_attempts": 1}).find("ponton-connection-test")
        except PontonError as exc:
            return False, str(exc)
        return True, f"Google Calendar reachable; calendar {calendar_id!r} readable"


def open_google_calendar(binding, resolver=None):
    """Adapter factory for ``ponton.sync.adapters.FACTORIES``: the binding's ``conn_id`` (or the
    default connection) is read through Airflow itself, so ``resolver`` is not needed."""
    hook = GoogleCalendarHook(
        google_calendar_conn_id=binding.conn_id or GoogleCalendarHook.default_conn_name
    )
    return hook.calendar(binding.source, binding.options)
