"""series exceptions: planning rows keyed by (uid, recurrence-id), published and written hashes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 07:45:00

Existing rows become single events or series masters (recurrence_id ""), so every uid stays
unique; ``published_hash`` starts empty (the next publish of each event records it). Busy blocks
are now written per series: known foreign events are marked changed and every binding lists in
full on its next run, which rewrites their blocks (the old ones stay until then).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("written_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("foreign_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_uid", sa.String(length=255), nullable=True))
    with op.batch_alter_table("planning_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recurrence_id", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("published_hash", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_planning_events_uid"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_planning_events_uid_recurrence_id"), ["uid", "recurrence_id"]
        )
    op.execute("UPDATE foreign_events SET content_hash = ''")
    op.execute("UPDATE calendar_bindings SET sync_token = NULL")


def downgrade() -> None:
    # Overrides cannot live in the old schema (one row per uid): they are dropped.
    op.execute("DELETE FROM planning_events WHERE recurrence_id <> ''")
    with op.batch_alter_table("planning_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_planning_events_uid_recurrence_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_planning_events_uid"), ["uid"])
        batch_op.drop_column("published_hash")
        batch_op.drop_column("recurrence_id")
    with op.batch_alter_table("foreign_events", schema=None) as batch_op:
        batch_op.drop_column("series_uid")
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("written_hash")
