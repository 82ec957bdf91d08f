"""One sync of a binding at a time, across processes and hosts.

Two runs of the same binding (a manual ``ponton sync run`` while the DAG task runs, or an Airflow
retry overlapping a slow attempt) would both plan from the same state and both write it, and the
loser would fail on a unique key. The first run takes a lock for the binding; the second stops at
once with :class:`BindingBusy`, a transient error (Airflow retries later, the CLI prints one line).

PostgreSQL: a session advisory lock held on a dedicated connection for the whole run (released
when the run ends or its process dies). SQLite is a file on one machine: a POSIX byte-range lock
(one byte per binding) on ``<database>.sync-lock`` next to it, plus an in-process registry since
POSIX locks do not exclude threads of one process.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ponton.errors import TransientError
from ponton.platform import PlatformDB

ADVISORY_NAMESPACE = 0x706F6E74  # "pont": keeps ponton's advisory locks apart from others'

_held: set[tuple[str, int]] = set()
_held_guard = threading.Lock()


class BindingBusy(TransientError):
    """Another run holds the binding; this one did nothing."""


def _busy(binding_id: int) -> BindingBusy:
    return BindingBusy(
        f"binding {binding_id} is being synced by another run; this run changed nothing "
        "(Airflow retries it; by hand, run `ponton sync run` again when the other run ends)"
    )


@contextmanager
def binding_lock(db: PlatformDB, binding_id: int) -> Iterator[None]:
    key = (db.url, binding_id)
    with _held_guard:
        if key in _held:
            raise _busy(binding_id)
        _held.add(key)
    try:
        locker = _advisory_lock if db.dialect == "postgresql" else _file_lock
        with locker(db, binding_id):
            yield
    finally:
        with _held_guard:
            _held.discard(key)


@contextmanager
def _advisory_lock(db: PlatformDB, binding_id: int) -> Iterator[None]:
    params = {"ns": ADVISORY_NAMESPACE, "id": binding_id}
    with db.engine.connect() as conn:
        taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:ns, :id)"), params).scalar()
        conn.commit()
        if not taken:
            raise _busy(binding_id)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:ns, :id)"), params)
            conn.commit()


@contextmanager
def _file_lock(db: PlatformDB, binding_id: int) -> Iterator[None]:
    database = db.engine.url.database
    if not database or database == ":memory:":
        yield  # one process owns an in-memory database: the registry above is enough
        return
    fd = os.open(Path(f"{database}.sync-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, binding_id)
        except OSError:
            raise _busy(binding_id) from None
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, binding_id)
    finally:
        os.close(fd)
