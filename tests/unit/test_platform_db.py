from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ponton.errors import ConfigError
from ponton.platform import PlatformDB
from ponton.platform.db import VERSION_TABLE, normalise_url
from ponton.platform.schema import integration_journal, metadata, resources


def test_migrations_produce_exactly_the_declared_schema(platform_db):
    with platform_db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(ctx, metadata)
            if d[:1] != ("remove_table",) or d[1].name != VERSION_TABLE
        ]
    assert diff == []


def test_migrated_db_reports_head_revision(platform_db):
    assert platform_db.current_revision() == PlatformDB.head_revision()
    assert platform_db.is_up_to_date()


def test_upgrade_twice_is_a_no_op(platform_db):
    platform_db.upgrade()
    assert platform_db.is_up_to_date()


def test_fresh_database_has_no_revision(tmp_path):
    db = PlatformDB(f"sqlite:///{tmp_path / 'nested' / 'p.db'}")
    assert db.current_revision() is None
    assert not db.is_up_to_date()


def test_timestamps_round_trip_as_utc(platform_db):
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=paris)
    with platform_db.begin() as conn:
        conn.execute(
            integration_journal.insert(),
            {"at": moment, "integration": "t", "action": "a", "outcome": "ok"},
        )
        stored = conn.execute(sa.select(integration_journal.c.at)).scalar_one()
    assert stored == moment
    assert stored.tzinfo == UTC


def test_naive_timestamps_are_refused(platform_db):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), platform_db.begin() as conn:
        conn.execute(
            integration_journal.insert(),
            {"at": datetime(2026, 1, 1), "integration": "t", "action": "a", "outcome": "ok"},
        )


def test_unique_keys_are_enforced(platform_db):
    with pytest.raises(sa.exc.IntegrityError), platform_db.begin() as conn:
        conn.execute(resources.insert(), [{"key": "ana", "name": "Ana"}] * 2)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_connection_urls_are_normalised_to_psycopg3(given, expected):
    assert normalise_url(given) == expected


def test_a_url_that_is_not_a_database_url_is_a_config_error():
    with pytest.raises(ConfigError, match="PONTON_PLATFORM_DB_URL"):
        PlatformDB("not a url").engine  # noqa: B018 - the property raises


def test_downgrade_to_base_then_upgrade_again(tmp_path):
    from alembic import command

    db = PlatformDB(f"sqlite:///{tmp_path / 'p.db'}")
    db.upgrade()
    command.downgrade(db._alembic_config(), "base")
    assert db.current_revision() is None
    with db.engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == [VERSION_TABLE]
    db.upgrade()
    assert db.is_up_to_date()


def test_insert_new_skips_conflicts_and_returns_only_new_rows(platform_db):
    from ponton.platform.db import insert_new, is_one_of
    from ponton.platform.schema import kv_cursors, webhook_inbox

    at = datetime(2026, 3, 16, 9, tzinfo=UTC)
    rows = [
        {"source": "s", "dedupe_key": f"k{i}", "payload": {"n": i, "é": [1]}, "received_at": at}
        for i in range(3)
    ]
    with platform_db.begin() as conn:
        first = insert_new(conn, webhook_inbox, rows, ["source", "dedupe_key"], webhook_inbox.c.id)
        again = insert_new(
            conn,
            webhook_inbox,
            [*rows[1:], rows[0] | {"dedupe_key": "k9"}],
            ["source", "dedupe_key"],
            webhook_inbox.c.dedupe_key,
        )
        assert insert_new(conn, kv_cursors, [], ["name"], kv_cursors.c.name) == []
        stored = conn.execute(
            sa.select(webhook_inbox.c.payload, webhook_inbox.c.received_at).where(
                is_one_of(conn, webhook_inbox.c.dedupe_key, ["k0", "k9"])
            )
        ).all()
    assert len(first) == 3 and again == ["k9"]
    assert {(r.payload["n"], r.received_at) for r in stored} == {(0, at)}
