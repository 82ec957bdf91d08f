"""Migration 0006: a notification's single recipient becomes a one-item To list; one already
handed to a provider gets a recipient row with its status, so later events still fold; the
downgrade gives each notification its first To recipient back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ponton.mail import ledger
from ponton.mail.status import StatusEvent
from ponton.platform import PlatformDB
from ponton.platform.schema import notification_recipients, notifications
from tests.conftest import scratch_pg_database

pytestmark = pytest.mark.integration
AT = datetime(2026, 3, 16, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):
    """A database no migration has touched yet (the session databases are at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'p.db'}"
        return
    request.getfixturevalue("pg_url")  # skips, or fails under CI, without PostgreSQL
    with scratch_pg_database("ponton_migration") as url:
        yield url


def test_single_recipients_become_to_lists_and_come_back_on_downgrade(empty_db_url):
    from alembic import command

    db = PlatformDB(empty_db_url)
    config = db._alembic_config()
    command.upgrade(config, "0005")
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        for nid, status, name in ((1, "pending", "Ana Martin"), (2, "queued", None)):
            conn.execute(
                sa.text(
                    "INSERT INTO notifications (id, recipient, recipient_name, subject, status, "
                    "provider, provider_message_id, attempts, created_at, updated_at) VALUES "
                    "(:id, :to, :name, 'Planning', :status, 'sendgrid', :mid, 1, :now, :now)"
                ),
                {
                    "id": nid,
                    "to": f"Person{nid}@Example.com",
                    "name": name,
                    "status": status,
                    "mid": f"X{nid}",
                    "now": now,
                },
            )
    db.upgrade()
    with db.engine.connect() as conn:
        lists = dict(
            conn.execute(sa.select(notifications.c.id, notifications.c.to_recipients)).all()
        )
        recipients = conn.execute(sa.select(notification_recipients)).mappings().all()
    assert lists == {
        1: [{"email": "Person1@Example.com", "name": "Ana Martin"}],
        2: ["Person2@Example.com"],
    }
    [row] = recipients
    assert (row["notification_id"], row["address"], row["status"]) == (
        2,
        "person2@example.com",
        "queued",
    )
    event = StatusEvent("sendgrid", "e1", "delivered", AT, notification_id=2, event="delivered")
    assert ledger.fold_events(db, [event]).updated == 1
    command.downgrade(config, "0005")
    with db.engine.connect() as conn:
        back = conn.execute(
            sa.text("SELECT id, recipient, recipient_name, status FROM notifications ORDER BY id")
        ).all()
    assert [tuple(r) for r in back] == [
        (1, "Person1@Example.com", "Ana Martin", "pending"),
        (2, "Person2@Example.com", None, "delivered"),
    ]
    db.dispose()
