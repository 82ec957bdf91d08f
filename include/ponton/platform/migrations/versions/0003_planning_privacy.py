"""planning events carry their privacy (public, private, confidential)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows were public: the server default keeps them so.
    with op.batch_alter_table("planning_events") as batch:
        batch.add_column(
            sa.Column("privacy", sa.String(length=20), server_default="public", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("planning_events") as batch:
        batch.drop_column("privacy")
