"""The shared mail provider, chosen by the ``ponton_mail`` connection's type, and the base of the
mail hooks.

* no ``ponton_mail`` connection: local capture (``.eml`` files under ``PONTON_HOME/mail``);
* a connection of a mail type registered in :data:`ponton.provider.CONNECTION_TYPES`
  (``ponton_smtp``, ``ponton_sendgrid``, ``ponton_postmark``), or the smtp provider's plain
  ``smtp`` type: its hook's backend.

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
from ponton.mail.backends.local import LocalCapture
from ponton.mail.message import Address
from ponton.mail.port import MailProvider
from ponton.provider import hooks_for
from ponton.retry import RetryPolicy

# An existing connection of the smtp provider works as it is.
PROVIDER_HOOKS = hooks_for("mail") | {"smtp": hooks_for("mail")["ponton_smtp"]}


def get_mail_provider(conn_id: str | None = None) -> MailProvider:
    """The backend the ``conn_id`` connection describes (default: ``ponton_mail``)."""
    conn_id = conn_id or settings.mail_conn_id()
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return LocalCapture()
    path = PROVIDER_HOOKS.get(conn.conn_type or "")
    if path is None:
        raise ConfigError(
            f"connection {conn_id!r} has type {conn.conn_type!r}; a mail connection must be one "
            f"of {', '.join(PROVIDER_HOOKS)} (or absent, for local capture)"
        )
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(mail_conn_id=conn_id).get_conn()


class MailHook(MaskedConnectionMixin, BaseHook):
    """Reads the connection once; subclasses turn it into their backend in ``build_backend``."""

    conn_name_attr = "mail_conn_id"
    default_conn_name = "ponton_mail"

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
            "sender": sender_from_extra(self.mail_conn_id, self.extra),
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
        return self.build_backend(self.common_options())

    def get_conn(self) -> MailProvider:
        return self.backend

    def test_connection(self) -> tuple[bool, str]:
        try:
            return True, self.get_conn().check_access()
        except PontonError as exc:
            return False, str(exc)


def sender_from_extra(conn_id: str, extra: dict[str, Any]) -> Address:
    """The From of every message, from the connection's ``from_email``/``from_name`` extras."""
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
