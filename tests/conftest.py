"""Test harness: one platform DB per backend (SQLite and PostgreSQL), migrated once per session
and emptied before each test; Airflow pointed at a throw-away home and at this repository."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ponton-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "PONTON_HOME": str(_AIRFLOW_HOME / "ponton"),
    }
)
os.environ.pop("PONTON_PLATFORM_DB_URL", None)

from hypothesis import settings  # noqa: E402

# CI replays the same examples on every run (a red CI is then reproducible); local runs explore.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

from ponton.platform import PlatformDB  # noqa: E402 - after the environment is set
from ponton.platform.schema import metadata  # noqa: E402

# Fixtures of the loopback API fakes (google_fake/google_conn/google_calendar, graph_fake/...).
pytest_plugins = ["tests.fakes.google_fixtures", "tests.fakes.graph_fixtures"]

PG_ADMIN_URL = os.environ.get(
    "PONTON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_unavailable_reason() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure means: no server for these tests
        return f"PostgreSQL at {PG_ADMIN_URL} unreachable ({exc.__class__.__name__})"
    return None


@contextmanager
def scratch_pg_database(prefix: str = "ponton_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session (and xdist worker), dropped at the end."""
    reason = _pg_unavailable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: PostgreSQL tests must run under CI")
        pytest.skip(reason)
    with scratch_pg_database() as url:
        yield url


REDIS_TEST_URL = os.environ.get("PONTON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the shared concurrency budgets are tested against (keys are per test)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_TEST_URL} unreachable ({exc.__class__.__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: Redis tests must run under CI")
        pytest.skip(reason)
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def _sqlite_db(tmp_path_factory) -> Iterator[PlatformDB]:
    db = PlatformDB(f"sqlite:///{tmp_path_factory.mktemp('platform') / 'platform.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def _pg_db(pg_url) -> Iterator[PlatformDB]:
    db = PlatformDB(pg_url)
    db.upgrade()
    yield db
    db.dispose()


def empty_tables(db: PlatformDB) -> None:
    with db.begin() as conn:
        if db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def platform_db(request) -> PlatformDB:
    """The migrated platform DB on each backend, empty at the start of the test."""
    db = request.getfixturevalue("_sqlite_db" if request.param == "sqlite" else "_pg_db")
    empty_tables(db)
    return db


@pytest.fixture
def sqlite_db(_sqlite_db) -> PlatformDB:
    """SQLite only, for tests of pure logic where the backend does not matter."""
    empty_tables(_sqlite_db)
    return _sqlite_db


@pytest.fixture
def platform_env(platform_db, monkeypatch) -> PlatformDB:
    """Points the CLI and hooks at ``platform_db`` through ``PONTON_PLATFORM_DB_URL``."""
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", platform_db.url)
    return platform_db


@pytest.fixture
def no_db_client(monkeypatch):
    """The webhook app where any database access fails: proves a request was refused before
    touching the database (a loopback port where nothing listens: refused at once, and no
    traffic leaves the machine)."""
    from fastapi.testclient import TestClient

    from ponton.webhooks import create_app, inbox

    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", "postgresql://nobody@127.0.0.1:1/none")
    inbox.platform_db.cache_clear()
    yield TestClient(create_app(), raise_server_exceptions=False)
    inbox.platform_db.cache_clear()
