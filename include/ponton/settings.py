"""Where ponton keeps its embedded state, read from the environment only.

``PONTON_HOME`` holds the embedded SQLite platform DB, the local storage folder and the local mail
capture. It defaults to ``$AIRFLOW_HOME/ponton`` when Airflow is configured, else ``~/.ponton``.
``PONTON_PLATFORM_DB_URL`` overrides the platform DB (the ``ponton_platform`` Airflow connection
does the same inside Airflow, see ``ponton.hooks.platform``). ``PONTON_REDIS_URL`` names the Redis
that shares concurrency budgets across workers (else a Redis Celery broker, see
:func:`budget_redis_url`).
"""

from __future__ import annotations

import os
from pathlib import Path

PLATFORM_DB_URL_ENV = "PONTON_PLATFORM_DB_URL"
MAIL_CONN_ID_ENV = "PONTON_MAIL_CONN_ID"
DEFAULT_MAIL_CONN_ID = "ponton_mail"
MAIL_WEBHOOKS_CONN_ID_ENV = "PONTON_MAIL_WEBHOOKS_CONN_ID"
DEFAULT_MAIL_WEBHOOKS_CONN_ID = "ponton_mail_webhooks"
REDIS_URL_ENV = "PONTON_REDIS_URL"
CELERY_BROKER_URL_ENV = "AIRFLOW__CELERY__BROKER_URL"


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


def mail_webhooks_conn_id() -> str:
    """The connection holding only the mail webhook verification keys (``ponton_mail_webhooks``)."""
    return os.environ.get(MAIL_WEBHOOKS_CONN_ID_ENV) or DEFAULT_MAIL_WEBHOOKS_CONN_ID


def budget_redis_url() -> str | None:
    """The Redis shared by every worker's concurrency budgets (``ponton.limits``):
    ``PONTON_REDIS_URL``, else Airflow's Celery broker when it is a Redis, else None (each process
    counts alone). ``PONTON_REDIS_URL=none`` keeps the count per process even then."""
    explicit = os.environ.get(REDIS_URL_ENV, "").strip()
    if explicit:
        return None if explicit.lower() == "none" else explicit
    broker = os.environ.get(CELERY_BROKER_URL_ENV, "").strip()
    return broker if broker.startswith(("redis://", "rediss://")) else None
