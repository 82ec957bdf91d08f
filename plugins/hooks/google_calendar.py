"""Hook for Google Calendar (``ponton_google_calendar`` connection), on the google provider's
``GoogleBaseHook``: connection -> credentials -> Calendar v3 client -> backend.

Credentials, in this order: an OAuth refresh token in the extras (``refresh_token``; the OAuth
client id and secret in Login and Password), else whatever GoogleBaseHook resolves (``key_path``,
``keyfile_dict``, workload identity...) made to act as ``subject`` (domain-wide delegation) when the
extras name one. Everything else (paging, batching, retries, errors) is the backend's:
``ponton.calendars.backends.google``. The connection form is declared in ``ponton.provider``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

from ponton.hooks.masking import MaskedConnectionMixin

SCOPES = ("https://www.googleapis.com/auth/calendar",)
DEFAULT_ENDPOINT = "https://www.googleapis.com/calendar/v3/"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret


class GoogleCalendarHook(MaskedConnectionMixin, GoogleBaseHook):
    """``get_conn()`` is the backend of ``calendar_id`` ("primary" or an address)."""

    conn_name_attr = "google_calendar_conn_id"
    default_conn_name = "google_calendar_default"
    conn_type = "ponton_google_calendar"
    hook_name = "Google Calendar (ponton)"

    def __init__(
        self,
        *,
        google_calendar_conn_id: str = default_conn_name,
        calendar_id: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(gcp_conn_id=google_calendar_conn_id)
        self.google_calendar_conn_id = google_calendar_conn_id
        self.calendar_id = calendar_id
        self.options = options or {}

    @property
    def scopes(self) -> list[str]:
        """Calendar read/write, whatever the connection's ``scope`` says for other Google APIs."""
        return list(SCOPES)

    def _extra(self, name: str, default: str | None = None) -> str | None:
        return self._get_field(name) or default

    def get_credentials(self):
        refresh_token = self._extra("refresh_token")
        if refresh_token:
            from google.oauth2.credentials import Credentials

            conn = self.get_connection(self.google_calendar_conn_id)
            return Credentials(
                None,
                refresh_token=refresh_token,
                client_id=conn.login,
                client_secret=conn.password,
                token_uri=self._extra("token_uri", DEFAULT_TOKEN_URI),
                scopes=list(SCOPES),
            )
        credentials = super().get_credentials()
        subject = self._extra("subject")
        if subject:
            if not hasattr(credentials, "with_subject"):
                from ponton.errors import ConfigError

                raise ConfigError(
                    f"connection {self.google_calendar_conn_id!r} names a delegated user but its "
                    "credentials are not a service account key; use a key file or drop 'subject'"
                )
            credentials = credentials.with_subject(subject)
        return credentials

    @cached_property
    def _service(self) -> Any:
        from googleapiclient.discovery import build

        return build(
            "calendar",
            "v3",
            credentials=self.get_credentials(),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self._extra("api_endpoint", DEFAULT_ENDPOINT)},
        )

    def get_conn(self):
        """The backend for ``calendar_id`` (default: the connection's ``calendar_id``, else
        "primary"), tuned by the binding's ``options``."""
        from ponton.calendars.backends.google import GoogleCalendarBackend, GoogleCalendarOptions

        endpoint = urlsplit(self._extra("api_endpoint", DEFAULT_ENDPOINT))
        options = GoogleCalendarOptions.from_binding(
            self.options,
            calendar_id=self.calendar_id or self._extra("calendar_id", "primary"),
            conn_id=self.google_calendar_conn_id,
            batch_uri=f"{endpoint.scheme}://{endpoint.netloc}/batch/calendar/v3",
        )
        return GoogleCalendarBackend(service=self._service, options=options)

    def test_connection(self) -> tuple[bool, str]:
        from ponton.errors import PontonError

        self.options = {**self.options, "retry_attempts": 1}
        try:
            backend = self.get_conn()
            backend.find("ponton-connection-test")
        except PontonError as exc:
            return False, str(exc)
        return True, f"Google Calendar reachable; calendar {backend.calendar_id!r} readable"
