"""Where ponton keeps its embedded state, read from the environment only.

``PONTON_HOME`` holds the embedded SQLite platform DB, the local storage folder and the local mail
capture. It defaults to ``$AIRFLOW_HOME/ponton`` when Airflow is configured, else ``~/.ponton``.
``PONTON_PLATFORM_DB_URL`` overrides the platform DB (the ``ponton_platform`` Airflow connection
does the same inside Airflow, see ``ponton.hooks.platform``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ponton.errors import ConfigError

PLATFORM_DB_URL_ENV = "PONTON_PLATFORM_DB_URL"
MAIL_CONN_ID_ENV = "PONTON_MAIL_CONN_ID"
DEFAULT_MAIL_CONN_ID = "ponton_mail"


def ponton_home() -> Path:
    explicit = os.environ.get("PONTON_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    airflow_home = os.environ.get("AIRFLOW_HOME")
    if airflow_home:
        return Path(airflow_home).expanduser().resolve() / "ponton"
    return Path.home() / ".ponton"


def embedded_platform_db_url() -> str:
    return f"sqlite:///{ponton_home() / 'platform.db'}"


def platform_db_url() -> str:
    """The platform DB URL: ``PONTON_PLATFORM_DB_URL`` or the embedded SQLite file."""
    return os.environ.get(PLATFORM_DB_URL_ENV) or embedded_platform_db_url()


def mail_conn_id() -> str:
    """The connection of the shared mail provider (``ponton_mail`` unless overridden)."""
    return os.environ.get(MAIL_CONN_ID_ENV) or DEFAULT_MAIL_CONN_ID


@dataclass(frozen=True)
class EnvConnection:
    """An Airflow connection as exported in ``AIRFLOW_CONN_<ID>``, read without Airflow."""

    conn_id: str
    conn_type: str | None
    host: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def connection_from_env(conn_id: str) -> EnvConnection | None:
    """``AIRFLOW_CONN_<CONN_ID>`` in its JSON or URI form, or None when it is not set.

    For code that must not import Airflow and still needs a connection's fields: the webhook
    receiver in the API server reads its verification keys this way, so those connections must
    be given to the API server as environment variables (docs/integrations/mail.md).
    """
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw:
        return None
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"AIRFLOW_CONN_{conn_id.upper()} is not valid JSON ({exc})") from exc
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        return EnvConnection(
            conn_id,
            data.get("conn_type"),
            data.get("host"),
            data.get("login"),
            data.get("password"),
            int(data["port"]) if data.get("port") else None,
            dict(extra),
        )
    parsed = urlsplit(raw)
    query = dict(parse_qsl(parsed.query, keep_blank_values=True))
    extra = json.loads(query.pop("__extra__")) if "__extra__" in query else query
    return EnvConnection(
        conn_id,
        parsed.scheme.replace("-", "_") or None,
        unquote(parsed.hostname) if parsed.hostname else None,
        unquote(parsed.username) if parsed.username else None,
        unquote(parsed.password) if parsed.password else None,
        parsed.port,
        dict(extra),
    )
