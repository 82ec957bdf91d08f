"""several recipients per notification, each with its own status

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:45:00

The single ``recipient`` (and ``recipient_name``) of a notification becomes a one-item To list.
A notification that has already been handed to a provider gets one recipient row carrying its
status, so later provider events for it still fold. The downgrade keeps the first To recipient.

Columns are added and dropped in place (SQLite 3.35+ drops columns natively): a batch rebuild of
``notifications`` on SQLite would drop the table, and with foreign keys on, its cascade would
empty ``notification_events``. ``to_recipients`` stays nullable for the same reason; dispatch
refuses a notification without a To recipient.
"""

import sqlalchemy as sa
from alembic import op

import ponton.platform.schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_TIME = ponton.platform.schema.UTCDateTime(timezone=True)


def _notifications(*columns: str) -> sa.TableClause:
    types = {"to_recipients": sa.JSON(), "status_at": UTC_TIME}
    return sa.table("notifications", *(sa.column(c, types.get(c)) for c in columns))


def upgrade() -> None:
    op.add_column("notifications", sa.Column("to_recipients", sa.JSON(), nullable=True))
    op.add_column("notifications", sa.Column("cc_recipients", sa.JSON(), nullable=True))
    op.add_column("notifications", sa.Column("bcc_recipients", sa.JSON(), nullable=True))
    op.add_column("notifications", sa.Column("reply_to", sa.String(length=320), nullable=True))
    op.add_column("notifications", sa.Column("reply_to_name", sa.String(length=200), nullable=True))
    op.add_column(
        "notification_events", sa.Column("recipient", sa.String(length=320), nullable=True)
    )
    recipients = op.create_table(
        "notification_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=3), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", UTC_TIME, nullable=True),
        sa.Column("provider_message_id", sa.String(length=300), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_recipients_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_recipients")),
        sa.UniqueConstraint(
            "notification_id",
            "address",
            name=op.f("uq_notification_recipients_notification_id_address"),
        ),
    )
    bind = op.get_bind()
    old = _notifications(
        "id",
        "recipient",
        "recipient_name",
        "status",
        "status_at",
        "provider_message_id",
        "last_error",
    )
    rows = bind.execute(sa.select(old)).mappings().all()
    lists = [
        {
            "b_id": r["id"],
            "b_to": [{"email": r["recipient"], "name": r["recipient_name"]}]
            if r["recipient_name"]
            else [r["recipient"]],
        }
        for r in rows
    ]
    if lists:
        new = _notifications("id", "to_recipients")
        bind.execute(
            new.update()
            .where(new.c.id == sa.bindparam("b_id"))
            .values(to_recipients=sa.bindparam("b_to", type_=sa.JSON())),
            lists,
        )
    handed_over = [
        {
            "notification_id": r["id"],
            "role": "to",
            "address": r["recipient"].strip().lower()[:320],
            "name": r["recipient_name"],
            "status": r["status"],
            "status_at": r["status_at"],
            "provider_message_id": r["provider_message_id"],
            "last_error": r["last_error"] if r["status"] == "failed" else None,
        }
        for r in rows
        if r["status"] != "pending"
    ]
    if handed_over:
        op.bulk_insert(recipients, handed_over)
    op.drop_column("notifications", "recipient_name")
    op.drop_column("notifications", "recipient")


def _first(items) -> tuple[str, str | None]:
    first = (items or [""])[0]
    if isinstance(first, dict):
        return str(first.get("email") or ""), first.get("name")
    return str(first), None


def downgrade() -> None:
    op.add_column("notifications", sa.Column("recipient", sa.String(length=320), nullable=True))
    op.add_column(
        "notifications", sa.Column("recipient_name", sa.String(length=200), nullable=True)
    )
    bind = op.get_bind()
    table = _notifications("id", "to_recipients", "recipient", "recipient_name")
    firsts = [
        dict(zip(("b_to", "b_name"), _first(r.to_recipients), strict=True)) | {"b_id": r.id}
        for r in bind.execute(sa.select(table.c.id, table.c.to_recipients))
    ]
    if firsts:
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values(recipient=sa.bindparam("b_to"), recipient_name=sa.bindparam("b_name")),
            firsts,
        )
    if bind.dialect.name != "sqlite":  # SQLite cannot without the rebuild the docstring avoids
        op.alter_column(
            "notifications", "recipient", existing_type=sa.String(length=320), nullable=False
        )
    for column in ("reply_to_name", "reply_to", "bcc_recipients", "cc_recipients"):
        op.drop_column("notifications", column)
    op.drop_column("notifications", "to_recipients")
    op.drop_table("notification_recipients")
    op.drop_column("notification_events", "recipient")
