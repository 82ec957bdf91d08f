"""The shared mail provider, chosen by the ``ponton_mail`` connection's type, and the base of the
mail hooks.

The connection must resolve: its type is one registered for the mail port in
:data:`ponton.provider.CONNECTION_TYPES` (``ponton_smtp``, ``ponton_sendgrid``,
``ponton_postmark``, ``ponton_local_mail``) or the smtp provider's plain ``smtp``. A connection that
cannot be resolved is a permanent error naming it and the secrets backend: Airflow reports a
secrets backend that is down as "not found", and falling back to local capture then would write
notifications to a worker's disk and mark them delivered. Local capture is an explicit choice.

Every backend is a :class:`ponton.mail.port.MailProvider` from :mod:`ponton.mail.backends`; hooks
only turn the connection into a client or credentials and options.
"""

from __future__ import annotations

import importlib
import os
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from ponton import settings
from ponton.errors import ConfigError, InvalidInputError, PontonError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.mail.message import Address
from ponton.mail.port import MailProvider
from ponton.ops.checks import Check
from ponton.provider import hooks_for
from ponton.retry import RetryPolicy

# An existing connection of the smtp provider works as it is.
PROVIDER_HOOKS = hooks_for("mail") | {"smtp": hooks_for("mail")["ponton_smtp"]}


def secrets_backends() -> str:
    """Where Airflow looks a connection up, for error messages."""
    from airflow.configuration import conf

    custom = conf.get("secrets", "backend", fallback="") or ""
    named = f"the secrets backend {custom.rpartition('.')[2]}, then " if custom else ""
    return f"{named}AIRFLOW_CONN_* variables and the metadata DB"


def resolve_mail_connection(conn_id: str | None = None):
    """The mail connection, or ``ConfigError`` naming it, the secrets backends and the fix."""
    conn_id = conn_id or settings.mail_conn_id()
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise ConfigError(
            f"mail connection {conn_id!r} cannot be resolved through {secrets_backends()} "
            "(a secrets backend that is down looks the same): nothing was sent. Fix the backend "
            f"or create {conn_id!r} with one of the types {', '.join(PROVIDER_HOOKS)}; local "
            "capture is type ponton_local_mail (docs/integrations/mail.md)"
        ) from exc


def mail_hook(conn_id: str | None = None) -> MailHook:
    """The hook of the ``conn_id`` connection (default: ``ponton_mail``)."""
    conn_id = conn_id or settings.mail_conn_id()
    conn = resolve_mail_connection(conn_id)
    path = PROVIDER_HOOKS.get(conn.conn_type or "")
    if path is None:
        raise ConfigError(
            f"connection {conn_id!r} has type {conn.conn_type!r}; a mail connection must be one "
            f"of {', '.join(PROVIDER_HOOKS)}"
        )
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(mail_conn_id=conn_id)


def get_mail_provider(conn_id: str | None = None) -> MailProvider:
    """The backend the ``conn_id`` connection describes (default: ``ponton_mail``)."""
    return mail_hook(conn_id).get_conn()


class MailHook(MaskedConnectionMixin, BaseHook):
    """Reads the connection once; subclasses turn it into their backend in ``build_backend``."""

    conn_name_attr = "mail_conn_id"
    default_conn_name = "ponton_mail"
    default_sender: Address | None = None  # used when the connection sets no from_email

    def __init__(self, *, mail_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.mail_conn_id = mail_conn_id

    @cached_property
    def connection(self):
        try:
            return self.get_connection(self.mail_conn_id)
        except AirflowNotFoundException as exc:
            raise ConfigError(
                f"{self.hook_name}: connection {self.mail_conn_id!r} does not exist"
            ) from exc

    @cached_property
    def extra(self) -> dict[str, Any]:
        return self.connection.extra_dejson

    def common_options(self) -> dict[str, Any]:
        """The options every backend takes: sender and retry policy."""
        return {
            "sender": sender_from_extra(self.mail_conn_id, self.extra, self.default_sender),
            "retry": RetryPolicy(
                attempts=int(self.extra.get("retry_attempts", 3)),
                max_seconds=float(self.extra.get("retry_max_seconds", 30)),
            ),
            "connection_name": self.mail_conn_id,
        }

    def build_backend(self, common: dict[str, Any]) -> MailProvider:
        """The backend, given the ``common`` options (read first: a missing sender is named
        before anything else)."""
        raise NotImplementedError

    @cached_property
    def backend(self) -> MailProvider:
        try:
            return self.build_backend(self.common_options())
        except (TypeError, ValueError) as exc:  # int("25 "), float("thirty"): a field's value
            raise ConfigError(
                f"{self.hook_name}: connection {self.mail_conn_id!r} has a field whose value is "
                f"not of its type ({exc}); see docs/integrations/mail.md for each field"
            ) from exc

    def get_conn(self) -> MailProvider:
        return self.backend

    def test_connection(self) -> tuple[bool, str]:
        try:
            return True, self.get_conn().check_access()
        except PontonError as exc:
            return False, str(exc)


def flag(value: object) -> bool:
    """A boolean extra, whether the form stored a boolean or a JSON/URI string."""
    return str(value).lower() in ("true", "1", "yes")


def sender_from_extra(
    conn_id: str, extra: dict[str, Any], default: Address | None = None
) -> Address:
    """The From of every message, from the connection's ``from_email``/``from_name`` extras."""
    if default is not None and not extra.get("from_email"):
        return default
    try:
        return Address.parse(extra.get("from_email", ""), extra.get("from_name"), role="sender")
    except InvalidInputError as exc:
        raise ConfigError(f"connection {conn_id!r}: set extra from_email ({exc})") from exc


def ops_recipients(conn_id: str | None = None) -> list[str]:
    """Who receives task-failure alerts: ``PONTON_OPS_EMAIL`` or the connection's
    ``ops_recipients`` extra, comma-separated; empty when neither is set."""
    raw = os.environ.get("PONTON_OPS_EMAIL", "")
    if not raw:
        try:
            conn = BaseHook.get_connection(conn_id or settings.mail_conn_id())
            raw = conn.extra_dejson.get("ops_recipients", "") or ""
        except AirflowNotFoundException:
            raw = ""
    return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]


def mail_provider_check(conn_id: str | None = None) -> Check:
    """``ponton doctor``'s row for the mail provider: which one is in use, a problem when it
    cannot be resolved, and a problem for local capture outside the demo."""
    conn_id = conn_id or settings.mail_conn_id()
    name = f"provider ({conn_id})"
    try:
        hook = mail_hook(conn_id)
        backend = hook.get_conn()
    except PontonError as exc:
        fix = "fix the secrets backend or the connection as the message says"
        return Check("mail", name, "problem", str(exc), fix)
    if backend.name == "local" and not flag(hook.extra.get("demo")):
        return Check(
            "mail",
            name,
            "problem",
            f"local capture: notifications are written to {backend.folder} and marked delivered, "
            "but nobody receives them",
            f"point {conn_id!r} at SMTP, SendGrid or Postmark; keep local capture for the demo "
            "(extra demo=true)",
        )
    return Check("mail", name, "ok", f"{backend.name}, sender {backend.sender.email}")
