"""The shared mail provider, chosen by the ``ponton_mail`` connection's type.

* no ``ponton_mail`` connection: local capture (``.eml`` files under ``PONTON_HOME/mail``);
* type ``ponton_smtp`` or ``smtp``: :class:`ponton.hooks.smtp_mail.SmtpMailHook` (the smtp
  provider's hook);
* type ``ponton_sendgrid``: :class:`ponton.hooks.sendgrid_mail.SendGridMailHook`;
* type ``ponton_postmark``: :class:`ponton.hooks.postmark_mail.PostmarkMailHook`.

Every one of them is a :class:`ponton.mail.port.MailProvider`.
"""

from __future__ import annotations

import importlib
import os
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from ponton import settings
from ponton.errors import ConfigError, InvalidInputError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.mail.local import LocalCapture
from ponton.mail.message import Address
from ponton.mail.port import MailProvider

PROVIDER_HOOKS = {
    "ponton_smtp": "ponton.hooks.smtp_mail.SmtpMailHook",
    "smtp": "ponton.hooks.smtp_mail.SmtpMailHook",  # an existing smtp provider connection works too
    "ponton_sendgrid": "ponton.hooks.sendgrid_mail.SendGridMailHook",
    "ponton_postmark": "ponton.hooks.postmark_mail.PostmarkMailHook",
}


def get_mail_provider(conn_id: str | None = None) -> MailProvider:
    """The provider the ``conn_id`` connection describes (default: ``ponton_mail``)."""
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
    return getattr(importlib.import_module(module), name)(mail_conn_id=conn_id)


class MailConnectionMixin(MaskedConnectionMixin):
    """The connection, its extras and the sender, read once, for hooks keyed by ``mail_conn_id``."""

    mail_conn_id: str
    hook_name: str

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

    @cached_property
    def sender(self) -> Address:
        return sender_from_extra(self.mail_conn_id, self.extra)

    @cached_property
    def retry(self):
        return retry_policy(self.extra)


def retry_policy(extra: dict[str, Any]):
    """Backoff for what the provider did not take (429, 503, connection refused, SMTP 4xx):
    a few quick attempts inside the hook, honouring the provider's reset time; Airflow's task
    retries take over after that. ``OutcomeUnknown`` is never retried (it may have gone out)."""
    from ponton.retry import RetryPolicy

    return RetryPolicy(
        attempts=int(extra.get("retry_attempts", 3)),
        max_seconds=float(extra.get("retry_max_seconds", 30)),
    )


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
