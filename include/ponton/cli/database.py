"""The platform DB as the CLI opens it: it must exist and be at the revision this ponton expects.

Only ``ponton db upgrade`` (and the commands that set up a demo or add a binding) create or migrate
the database; every other command refuses a missing file, an unmigrated database or one at a
revision it does not know, naming ``ponton db upgrade`` as the fix, instead of creating an empty
SQLite file at a mistyped path or failing later on a missing table.
"""

from __future__ import annotations

from pathlib import Path

from ponton.errors import ConfigError
from ponton.platform import PlatformDB


def open_db(*, check_revision: bool = True) -> PlatformDB:
    db = PlatformDB()
    _refuse_missing_sqlite_file(db)
    if check_revision:
        check_db_revision(db)
    return db


def check_db_revision(db: PlatformDB) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from ponton.platform.db import MIGRATIONS

    current, head = db.current_revision(), db.head_revision()
    if current == head:
        return
    if current is None:
        raise ConfigError("the platform DB is not migrated: run `ponton db upgrade`")
    try:
        known = ScriptDirectory(str(MIGRATIONS)).get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise ConfigError(
            f"the platform DB is at revision {current!r}, which this ponton does not know (a newer "
            "ponton migrated it?): install the matching ponton, then run `ponton db upgrade`"
        )
    raise ConfigError(
        f"the platform DB is at revision {current}, this ponton needs {head}: "
        "run `ponton db upgrade`"
    )


def missing_sqlite_file(db: PlatformDB) -> Path | None:
    """The SQLite file ``db`` points at when it does not exist (None for any other case)."""
    import sqlalchemy as sa

    try:
        url = sa.make_url(db.url)
    except sa.exc.ArgumentError:
        return None  # the engine reports a malformed URL with its own message
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.is_file() else path


def _refuse_missing_sqlite_file(db: PlatformDB) -> None:
    missing = missing_sqlite_file(db)
    if missing is not None:
        raise ConfigError(
            f"no platform DB at {missing.name!r} (PONTON_PLATFORM_DB_URL); check the path, or "
            "run `ponton db upgrade` to create it"
        )
