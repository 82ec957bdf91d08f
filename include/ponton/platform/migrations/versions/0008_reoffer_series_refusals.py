"""re-offer the series writes earlier versions refused for Google and Outlook

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:30:00

Earlier versions refused to write a single occurrence's override to Google or Outlook, and a
master's EXDATE to Outlook; each refusal is an open ``refused`` conflict that keeps the event
out of later runs until its content changes. Those writes are supported now, so exactly those
refusals are removed (not cleared: a write refused again for another reason queues anew) and
the next run offers the events again. Other refusals stay. The downgrade changes nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# What the refusals lifted here said (the earlier versions' messages).
LIFTED = (
    "overrides one occurrence of a series; ponton writes whole series",
    "Graph keeps excluded dates as deleted occurrences only",
)


def upgrade() -> None:
    conflicts = sa.table(
        "conflicts",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("platform_version", sa.JSON),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(conflicts.c.id, conflicts.c.platform_version).where(
            conflicts.c.kind == "refused", conflicts.c.status == "open"
        )
    )
    lifted = [
        row.id
        for row in rows
        if any(text in str((row.platform_version or {}).get("reason", "")) for text in LIFTED)
    ]
    if lifted:
        bind.execute(conflicts.delete().where(conflicts.c.id.in_(lifted)))


def downgrade() -> None:
    """Nothing to undo: the refusals removed would be recorded again by the old version."""
