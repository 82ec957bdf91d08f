"""Hook for the platform database (``ponton_platform`` connection)."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from ponton import settings
from ponton.errors import ConfigError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.platform import PlatformDB


class PlatformDBHook(MaskedConnectionMixin, BaseHook):
    """Opens the platform DB named by the ``ponton_platform`` connection.

    Resolution order: the connection if it exists, else ``PONTON_PLATFORM_DB_URL``, else the
    embedded SQLite file under ``PONTON_HOME``. A connection of type ``postgres`` or
    ``ponton_platform`` with host/login/schema works, as does a full URI in ``extra.url``.
    """

    conn_name_attr = "platform_conn_id"
    default_conn_name = "ponton_platform"
    conn_type = "ponton_platform"
    hook_name = "ponton platform database"

    def __init__(self, *, platform_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.platform_conn_id = platform_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["port"],
            "relabeling": {"schema": "Database", "host": "Host (empty: embedded SQLite)"},
            "placeholders": {
                "host": "db.internal",
                "schema": "platform",
                "login": "ponton",
                "extra": '{"url": "postgresql://ponton@db.internal:5432/platform"}',
            },
        }

    def _url_from_connection(self) -> str | None:
        if os.environ.get(settings.PLATFORM_DB_URL_ENV):
            return None
        try:
            conn = self.get_connection(self.platform_conn_id)
        except Exception:  # noqa: BLE001 - Airflow raises AirflowNotFoundException or similar
            return None
        extra_url = conn.extra_dejson.get("url")
        if extra_url:
            return extra_url
        if not conn.host:
            return None
        return conn.get_uri().replace(f"{conn.conn_type}://", "postgresql://", 1)

    @cached_property
    def platform_db(self) -> PlatformDB:
        return PlatformDB(self._url_from_connection())

    def get_conn(self) -> PlatformDB:
        return self.platform_db

    def test_connection(self) -> tuple[bool, str]:
        db = self.platform_db
        try:
            current, head = db.current_revision(), db.head_revision()
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"cannot reach the platform DB: {exc.__class__.__name__}: {exc}"
        if current != head:
            return False, f"platform DB at {current or 'no revision'}, run `ponton db upgrade`"
        return True, f"platform DB reachable, schema at {head}"

    def ensure_ready(self) -> PlatformDB:
        """The DB, refusing to run against an unmigrated schema."""
        ok, message = self.test_connection()
        if not ok:
            raise ConfigError(message)
        return self.platform_db
