"""document versions keyed by destination (connection + root)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:00:00

Existing rows were keyed by backend name: each is attributed to that backend's default
connection with an empty root, which the next publish to that connection claims.
"""

import sqlalchemy as sa
from alembic import op

import ponton.platform.schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DEFAULT_CONNECTIONS = {
    "local": "ponton_storage_local",
    "s3": "ponton_storage_s3",
    "gdrive": "ponton_storage_gdrive",
    "sharepoint": "ponton_storage_sharepoint",
}


def upgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.add_column(sa.Column("conn_id", sa.String(length=250), nullable=True))
        batch.add_column(
            sa.Column("root", sa.String(length=500), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("checksum", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("pruned_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True)
        )
    versions = sa.table("document_versions", sa.column("backend"), sa.column("conn_id"))
    for backend, conn_id in DEFAULT_CONNECTIONS.items():
        op.execute(versions.update().where(versions.c.backend == backend).values(conn_id=conn_id))
    op.execute(
        versions.update()
        .where(versions.c.conn_id.is_(None))
        .values(conn_id="ponton_storage_" + versions.c.backend)
    )
    with op.batch_alter_table("document_versions") as batch:
        batch.alter_column("conn_id", existing_type=sa.String(length=250), nullable=False)
        batch.drop_constraint("uq_document_versions_document_id_backend_sha256", type_="unique")
        batch.drop_constraint("uq_document_versions_document_id_backend_version", type_="unique")
        batch.create_unique_constraint(
            "uq_document_versions_document_id_conn_id_root_sha256",
            ["document_id", "conn_id", "root", "sha256"],
        )
        batch.create_unique_constraint(
            "uq_document_versions_document_id_conn_id_root_version",
            ["document_id", "conn_id", "root", "version"],
        )


def downgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_constraint("uq_document_versions_document_id_conn_id_root_version", "unique")
        batch.drop_constraint("uq_document_versions_document_id_conn_id_root_sha256", "unique")
        batch.drop_column("pruned_at")
        batch.drop_column("checksum")
        batch.drop_column("root")
        batch.drop_column("conn_id")
        batch.create_unique_constraint(
            "uq_document_versions_document_id_backend_version",
            ["document_id", "backend", "version"],
        )
        batch.create_unique_constraint(
            "uq_document_versions_document_id_backend_sha256",
            ["document_id", "backend", "sha256"],
        )
