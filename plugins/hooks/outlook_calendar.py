"""Hook for Outlook calendars over Microsoft Graph (``ponton_outlook_calendar`` connection):
connection -> azure-identity credential -> Graph session -> backend.

App-only authentication: Login is the application (client) id, Password the client secret, or
extras ``certificate_path``/``certificate_data`` for a certificate; extras ``tenant_id``
(required), ``authority_host`` and ``base_url`` (national clouds, tests). Why ``requests`` rather
than the provider's Kiota-based ``KiotaRequestAdapterHook``: see
``ponton.calendars.backends.outlook``. The connection form is declared in ``ponton.provider``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from ponton.hooks.masking import MaskedConnectionMixin

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


class OutlookCalendarHook(MaskedConnectionMixin, BaseHook):
    """``get_conn()`` is the backend of ``calendar_id`` = ``user@domain`` (default calendar) or
    ``user@domain/CALENDAR_ID``; one token cache per hook."""

    conn_name_attr = "outlook_conn_id"
    default_conn_name = "outlook_calendar_default"
    conn_type = "ponton_outlook_calendar"
    hook_name = "Outlook calendar via Microsoft Graph (ponton)"

    def __init__(
        self,
        *,
        outlook_conn_id: str = default_conn_name,
        calendar_id: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.outlook_conn_id = outlook_conn_id
        self.calendar_id = calendar_id
        self.options = options or {}

    @cached_property
    def _connection(self):
        return self.get_connection(self.outlook_conn_id)

    def _extra(self, name: str, default: str | None = None) -> str | None:
        """Plain keys, or the ``extra__<conn type>__`` form older connection forms wrote."""
        extra = self._connection.extra_dejson
        return extra.get(name) or extra.get(f"extra__{self.conn_type}__{name}") or default

    @property
    def base_url(self) -> str:
        return self._extra("base_url", DEFAULT_BASE_URL)

    @cached_property
    def credential(self):
        from azure.identity import CertificateCredential, ClientSecretCredential

        from ponton.errors import ConfigError

        conn = self._connection
        tenant_id = self._extra("tenant_id")
        if not tenant_id or not conn.login:
            raise ConfigError(
                f"connection {self.outlook_conn_id!r} needs the application id (Login) and "
                "extra 'tenant_id'; see docs/integrations/outlook.md"
            )
        common = {
            "authority": self._extra("authority_host", DEFAULT_AUTHORITY),
            "disable_instance_discovery": self._extra("authority_host") is not None,
        }
        certificate = self._extra("certificate_path")
        certificate_data = self._extra("certificate_data")
        if certificate or certificate_data:
            return CertificateCredential(
                tenant_id,
                conn.login,
                certificate_path=certificate,
                certificate_data=certificate_data.encode() if certificate_data else None,
                **common,
            )
        if not conn.password:
            raise ConfigError(
                f"connection {self.outlook_conn_id!r} has neither a client secret (Password) "
                "nor a certificate; see docs/integrations/outlook.md"
            )
        return ClientSecretCredential(tenant_id, conn.login, conn.password, **common)

    def _token(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        from ponton.calendars.backends.graph import RUNBOOK
        from ponton.errors import ReauthorizationRequired

        scope = self.base_url.split("/v1.0")[0].split("/beta")[0] + "/.default"
        try:
            return self.credential.get_token(scope).token
        except ClientAuthenticationError as exc:
            cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ReauthorizationRequired(self.outlook_conn_id, cause, RUNBOOK) from exc

    def get_conn(self):
        """The backend for ``calendar_id`` (default: the connection's ``mailbox``), tuned by
        the binding's ``options``."""
        from ponton.calendars.backends.graph import GraphSession
        from ponton.calendars.backends.outlook import OutlookCalendarBackend, OutlookCalendarOptions
        from ponton.errors import ConfigError
        from ponton.retry import RetryPolicy

        calendar = self.calendar_id or self._extra("mailbox")
        if not calendar:
            raise ConfigError(
                f"connection {self.outlook_conn_id!r}: no calendar named; bind 'user@domain' "
                "or set the connection's 'mailbox'"
            )
        session = GraphSession(
            self.base_url,
            self._token,
            conn_id=self.outlook_conn_id,
            retry=RetryPolicy.from_options(self.options),
        )
        options = OutlookCalendarOptions.from_binding(calendar, self.options)
        return OutlookCalendarBackend(session=session, options=options)

    def test_connection(self) -> tuple[bool, str]:
        from ponton.errors import PontonError

        mailbox = self.calendar_id or self._extra("mailbox")
        self.options = {**self.options, "retry_attempts": 1}
        try:
            self._token()
            if mailbox:
                self.get_conn().find("ponton-connection-test")
        except PontonError as exc:
            return False, str(exc)
        where = f"; mailbox {mailbox!r} readable" if mailbox else ""
        return True, f"Entra ID issued a Graph token{where}"
