"""Hook for Outlook calendars over Microsoft Graph (``ponton_outlook_calendar`` connection).

App-only authentication with azure-identity: Login is the application (client) id, Password the
client secret, or extras ``certificate_path``/``certificate_data`` for a certificate; extras
``tenant_id`` (required), ``authority_host`` and ``base_url`` (national clouds, tests). Why
``requests`` rather than the provider's Kiota-based ``KiotaRequestAdapterHook``: see
``ponton.calendars.graph_api``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from ponton.hooks.masking import MaskedConnectionMixin

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"


class OutlookCalendarHook(MaskedConnectionMixin, BaseHook):
    """Hands out one RemoteCalendar adapter per mailbox calendar, sharing one token cache."""

    conn_name_attr = "outlook_conn_id"
    default_conn_name = "outlook_calendar_default"
    conn_type = "ponton_outlook_calendar"
    hook_name = "Outlook calendar via Microsoft Graph (ponton)"

    def __init__(self, *, outlook_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.outlook_conn_id = outlook_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            name: StringField(lazy_gettext(label), widget=BS3TextFieldWidget())
            for name, label in (
                ("tenant_id", "Directory (tenant) id"),
                ("certificate_path", "Certificate (PEM) path, instead of a secret"),
                ("authority_host", "Authority host (empty: login.microsoftonline.com)"),
                ("base_url", "Graph base URL (empty: https://graph.microsoft.com/v1.0)"),
            )
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["host", "schema", "port"],
            "relabeling": {"login": "Application (client) id", "password": "Client secret"},
            "placeholders": {"extra": '{"tenant_id": "00000000-0000-0000-0000-000000000000"}'},
        }

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

        from ponton.calendars.graph_api import RUNBOOK
        from ponton.errors import ReauthorizationRequired

        scope = self.base_url.split("/v1.0")[0].split("/beta")[0] + "/.default"
        try:
            return self.credential.get_token(scope).token
        except ClientAuthenticationError as exc:
            cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ReauthorizationRequired(self.outlook_conn_id, cause, RUNBOOK) from exc

    def session(self, options: dict[str, Any] | None = None):
        from ponton.calendars.graph_api import GraphSession
        from ponton.retry import RetryPolicy

        options = options or {}
        return GraphSession(
            self.base_url,
            self._token,
            conn_id=self.outlook_conn_id,
            retry=RetryPolicy(
                attempts=int(options.get("retry_attempts", 6)),
                max_seconds=float(options.get("retry_max_seconds", 60)),
            ),
        )

    def get_conn(self):
        return self.session()

    def calendar(self, calendar_id: str, options: dict[str, Any] | None = None):
        """The RemoteCalendar for ``calendar_id`` = ``user@domain`` (default calendar) or
        ``user@domain/CALENDAR_ID``; ``options`` are the binding's: ``write_attendees`` (default
        False: Graph would invite every attendee), ``page_size``, ``retry_attempts``,
        ``retry_max_seconds``."""
        from ponton.calendars.graph_api import GraphCalendarRef, OutlookCalendarAdapter

        options = options or {}
        return OutlookCalendarAdapter(
            self.session(options),
            GraphCalendarRef.parse(calendar_id),
            write_attendees=bool(options.get("write_attendees", False)),
            page_size=int(options.get("page_size", 100)),
        )

    def test_connection(self) -> tuple[bool, str]:
        from ponton.errors import PontonError

        mailbox = self._extra("mailbox")
        try:
            self._token()
            if mailbox:
                self.calendar(mailbox, {"retry_attempts": 1}).find("ponton-connection-test")
        except PontonError as exc:
            return False, str(exc)
        where = f"; mailbox {mailbox!r} readable" if mailbox else ""
        return True, f"Entra ID issued a Graph token{where}"


def open_outlook_calendar(binding, resolver=None):
    """Adapter factory for ``ponton.sync.adapters.FACTORIES``: the binding's ``conn_id`` (or the
    default connection) is read through Airflow itself, so ``resolver`` is not needed."""
    hook = OutlookCalendarHook(
        outlook_conn_id=binding.conn_id or OutlookCalendarHook.default_conn_name
    )
    return hook.calendar(binding.source, binding.options)
