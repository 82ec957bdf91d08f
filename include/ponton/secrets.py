"""Reading connections without Airflow: the CLI's view of ``AIRFLOW_CONN_*`` variables.

Inside Airflow, operators pass a resolver backed by Airflow's own secrets backends (env, metadata
DB, local file, Vault). Outside it (``ponton sync run``), :class:`EnvConnectionResolver` reads the
same ``AIRFLOW_CONN_<ID>`` variables, in JSON or URI form. Values are secrets: never log them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from ponton.errors import ConfigError


@dataclass(frozen=True)
class ConnectionInfo:
    conn_id: str
    conn_type: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


class ConnectionResolver(Protocol):
    def get(self, conn_id: str) -> ConnectionInfo:
        """The connection, or ``ConfigError`` naming the missing conn id."""
        ...


def _extra_object(conn_id: str, extra: Any) -> dict[str, Any]:
    """A connection's ``extra`` as a dict, whether given as an object or as JSON text."""
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"connection {conn_id!r}: extra is not valid JSON ({exc.msg}); give a JSON object"
            ) from exc
    if not isinstance(extra, dict):
        raise ConfigError(f"connection {conn_id!r}: extra must be a JSON object")
    return extra


def parse_connection(conn_id: str, value: str) -> ConnectionInfo:
    """Airflow's two environment forms: a JSON object or a URI."""
    value = value.strip()
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"connection {conn_id!r} is not valid JSON ({exc.msg})") from exc
        extra = _extra_object(conn_id, data.get("extra") or {})
        return ConnectionInfo(
            conn_id=conn_id,
            conn_type=data.get("conn_type"),
            host=data.get("host"),
            login=data.get("login"),
            password=data.get("password"),
            schema=data.get("schema"),
            port=data.get("port"),
            extra=extra,
        )
    parts = urlsplit(value)
    extra = dict(parse_qsl(parts.query))
    if "__extra__" in extra:
        extra = _extra_object(conn_id, extra["__extra__"])
    return ConnectionInfo(
        conn_id=conn_id,
        conn_type=parts.scheme.replace("-", "_") or None,
        host=unquote(parts.hostname) if parts.hostname else None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=unquote(parts.path.lstrip("/")) or None,
        port=parts.port,
        extra=extra,
    )


class EnvConnectionResolver:
    """Connections from ``AIRFLOW_CONN_<CONN_ID>`` environment variables."""

    def get(self, conn_id: str) -> ConnectionInfo:
        value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value is None:
            raise ConfigError(
                f"connection {conn_id!r} not found: define it in Airflow, or export "
                f"AIRFLOW_CONN_{conn_id.upper()} for the ponton command"
            )
        return parse_connection(conn_id, value)
