"""sync writes in flight for events not paired yet

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_writes_in_flight",
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("platform_uid", sa.String(length=255), nullable=False),
        sa.Column("written_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_sync_writes_in_flight_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "binding_id", "platform_uid", name=op.f("pk_sync_writes_in_flight")
        ),
    )


def downgrade() -> None:
    op.drop_table("sync_writes_in_flight")
