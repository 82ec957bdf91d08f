"""Engine and migrations for the platform DB (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql, sqlite

from ponton import settings
from ponton.errors import ConfigError
from ponton.platform.schema import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "ponton_alembic_version"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def normalise_url(url: str) -> str:
    """Accept the URL forms Airflow connections produce and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def insert_for(dialect: str, table: sa.Table):
    """An INSERT that offers ``on_conflict_do_nothing/do_update`` on both supported backends."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def is_one_of(conn: sa.Connection, column: sa.Column, values: Collection[Any]):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however many
    values (a long IN list costs more to build and parse than to run)."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(list(values))


def insert_new(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: sa.Column,
) -> list[Any]:
    """Insert ``rows`` (same keys each), skip those that collide on ``conflict``, return
    ``returning`` of the inserted ones.

    PostgreSQL gets one array per column (``INSERT ... SELECT FROM unnest(...)``): one statement,
    a handful of parameters, about ten times faster than a multi-row VALUES for thousands of
    rows. SQLite gets SQLAlchemy's multi-row VALUES."""
    if not rows:
        return []
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        statement = insert_for("sqlite", table).on_conflict_do_nothing(index_elements=conflict)
        return list(conn.execute(statement.returning(returning), list(rows)).scalars())
    arrays = [
        sa.bindparam(
            f"col_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type)
        )
        for name in names
    ]
    source = sa.func.unnest(*arrays).table_valued(*names).render_derived()
    statement = (
        postgresql.insert(table)
        .from_select(names, sa.select(*(source.c[name] for name in names)))
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(returning)
    )
    return list(conn.execute(statement).scalars())


class PlatformDB:
    """A handle on the platform DB: one engine, migrations, and the revision it is at."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url or settings.platform_db_url())

    @cached_property
    def engine(self) -> sa.Engine:
        try:
            parsed = sa.make_url(self.url)
        except sa.exc.ArgumentError as exc:
            raise ConfigError(
                f"platform DB URL is not a database URL ({exc}); set PONTON_PLATFORM_DB_URL "
                "or the ponton_platform connection to e.g. postgresql://user@host/db or sqlite:///path"
            ) from exc
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"platform DB URL uses {backend!r}; ponton supports sqlite:/// and "
                "postgresql:// URLs (PONTON_PLATFORM_DB_URL or the ponton_platform connection)"
            )
        try:
            if backend == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(parsed)
                sa.event.listen(engine, "connect", _on_sqlite_connect)
                return engine
            return sa.create_engine(parsed, pool_pre_ping=True)
        except (ImportError, sa.exc.NoSuchModuleError, sa.exc.ArgumentError) as exc:
            raise ConfigError(
                f"platform DB URL names a driver ponton cannot load ({exc.__class__.__name__}); "
                "use sqlite:/// or postgresql:// (psycopg 3)"
            ) from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def begin(self):
        """A transaction: ``with db.begin() as conn: ...`` commits on success."""
        return self.engine.begin()

    def _alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self._alembic_config(), revision)

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return ctx.get_current_revision()

    @staticmethod
    def head_revision() -> str:
        script = ScriptDirectory(str(MIGRATIONS))
        return script.get_current_head()

    def is_up_to_date(self) -> bool:
        return self.current_revision() == self.head_revision()

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


__all__ = ["PlatformDB", "insert_for", "insert_new", "is_one_of", "metadata", "normalise_url"]
