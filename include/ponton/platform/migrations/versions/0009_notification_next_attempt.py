"""a deferred notification waits for its next attempt

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:00:00

An SMTP relay that answers 4xx for a recipient defers the whole message: nothing is sent, and
dispatch leaves the row ``pending`` until ``next_attempt_at``. Added in place (no batch rebuild
of ``notifications`` on SQLite, see 0006).
"""

import sqlalchemy as sa
from alembic import op

import ponton.platform.schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column(
            "next_attempt_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("notifications", "next_attempt_at")
