"""initial platform schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 01:48:20.603020
"""

import sqlalchemy as sa
from alembic import op

import ponton.platform.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "integration_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("integration", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("task_id", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_journal")),
    )
    with op.batch_alter_table("integration_journal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_journal_integration_at"), ["integration", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_journal_outcome_at"), ["outcome", "at"], unique=False
        )

    op.create_table(
        "kv_cursors",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_kv_cursors")),
    )
    op.create_table(
        "missions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
        sa.UniqueConstraint("code", name=op.f("uq_missions_code")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("status_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=40), nullable=True),
        sa.Column("provider_message_id", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attempt_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_provider_provider_message_id"),
            ["provider", "provider_message_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_notifications_status"), ["status"], unique=False)

    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="person", nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("key", name=op.f("uq_resources_key")),
    )
    op.create_table(
        "calendar_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("conn_id", sa.String(length=250), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=10), server_default="import", nullable=False),
        sa.Column("conflict_policy", sa.String(length=20), server_default="manual", nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("feed_etag", sa.String(length=300), nullable=True),
        sa.Column("feed_last_modified", sa.String(length=100), nullable=True),
        sa.Column("feed_hash", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=300), nullable=True),
        sa.Column("channel_resource_id", sa.String(length=300), nullable=True),
        sa.Column("channel_token_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "channel_expires_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_synced_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_calendar_bindings_mission_id_missions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_calendar_bindings_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_bindings")),
    )
    with op.batch_alter_table("calendar_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_bindings_channel_id"), ["channel_id"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=True),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_documents_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "mission_id", "kind", "name", name=op.f("uq_documents_mission_id_kind_name")
        ),
    )
    op.create_table(
        "mission_members",
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mission_members_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_mission_members_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mission_id", "resource_id", name=op.f("pk_mission_members")),
    )
    op.create_table(
        "notification_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_event_id", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_events_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_events")),
        sa.UniqueConstraint(
            "provider",
            "provider_event_id",
            name=op.f("uq_notification_events_provider_provider_event_id"),
        ),
    )
    with op.batch_alter_table("notification_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_events_notification_id_occurred_at"),
            ["notification_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "planning_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=500), server_default="", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=30), server_default="meeting", nullable=False),
        sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("start_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("recurrence", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="confirmed", nullable=False),
        sa.Column("transparency", sa.String(length=20), server_default="opaque", nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=True),
        sa.Column("origin", sa.String(length=64), server_default="platform", nullable=False),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_planning_events_mission_id_missions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_planning_events_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_events")),
        sa.UniqueConstraint("uid", name=op.f("uq_planning_events_uid")),
    )
    with op.batch_alter_table("planning_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planning_events_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planning_events_resource_id_start_at"),
            ["resource_id", "start_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_planning_events_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("start_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), server_default="busy", nullable=False),
        sa.Column("origin", sa.String(length=64), server_default="platform", nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=True),
        sa.Column("source_uid", sa.String(length=300), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_availability_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_availability_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability")),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_binding_id_source_uid"),
            ["binding_id", "source_uid"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_availability_resource_id_start_at"),
            ["resource_id", "start_at"],
            unique=False,
        )

    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("platform_uid", sa.String(length=255), nullable=True),
        sa.Column("remote_id", sa.String(length=1024), nullable=True),
        sa.Column("platform_version", sa.JSON(), nullable=True),
        sa.Column("remote_version", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.Column("detected_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_conflicts_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_conflicts_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_conflicts_fingerprint")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflicts_status_kind"), ["status", "kind"], unique=False
        )

    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("remote_id", sa.String(length=1024), nullable=True),
        sa.Column("remote_version_id", sa.String(length=300), nullable=True),
        sa.Column(
            "published_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("verified_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_versions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint(
            "document_id",
            "backend",
            "sha256",
            name=op.f("uq_document_versions_document_id_backend_sha256"),
        ),
        sa.UniqueConstraint(
            "document_id",
            "backend",
            "version",
            name=op.f("uq_document_versions_document_id_backend_version"),
        ),
    )
    op.create_table(
        "foreign_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=1024), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("seen_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_foreign_events_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foreign_events")),
        sa.UniqueConstraint(
            "binding_id", "remote_id", name=op.f("uq_foreign_events_binding_id_remote_id")
        ),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("platform_uid", sa.String(length=255), nullable=False),
        sa.Column("remote_id", sa.String(length=1024), nullable=False),
        sa.Column("remote_etag", sa.String(length=300), nullable=True),
        sa.Column("platform_hash", sa.String(length=64), nullable=True),
        sa.Column("remote_hash", sa.String(length=64), nullable=True),
        sa.Column("synced_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_sync_state_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
        sa.UniqueConstraint(
            "binding_id", "platform_uid", name=op.f("uq_sync_state_binding_id_platform_uid")
        ),
        sa.UniqueConstraint(
            "binding_id", "remote_id", name=op.f("uq_sync_state_binding_id_remote_id")
        ),
    )
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", ponton.platform.schema.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["calendar_bindings.id"],
            name=op.f("fk_webhook_inbox_binding_id_calendar_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbox")),
        sa.UniqueConstraint(
            "source", "dedupe_key", name=op.f("uq_webhook_inbox_source_dedupe_key")
        ),
    )
    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_inbox_source_processed_at"),
            ["source", "processed_at"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_inbox_source_processed_at"))

    op.drop_table("webhook_inbox")
    op.drop_table("sync_state")
    op.drop_table("foreign_events")
    op.drop_table("document_versions")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_status_kind"))

    op.drop_table("conflicts")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_resource_id_start_at"))
        batch_op.drop_index(batch_op.f("ix_availability_binding_id_source_uid"))

    op.drop_table("availability")
    with op.batch_alter_table("planning_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planning_events_updated_at"))
        batch_op.drop_index(batch_op.f("ix_planning_events_resource_id_start_at"))
        batch_op.drop_index(batch_op.f("ix_planning_events_mission_id"))

    op.drop_table("planning_events")
    with op.batch_alter_table("notification_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_events_notification_id_occurred_at"))

    op.drop_table("notification_events")
    op.drop_table("mission_members")
    op.drop_table("documents")
    with op.batch_alter_table("calendar_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_bindings_channel_id"))

    op.drop_table("calendar_bindings")
    op.drop_table("resources")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_status"))
        batch_op.drop_index(batch_op.f("ix_notifications_provider_provider_message_id"))

    op.drop_table("notifications")
    op.drop_table("missions")
    op.drop_table("kv_cursors")
    with op.batch_alter_table("integration_journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_journal_outcome_at"))
        batch_op.drop_index(batch_op.f("ix_integration_journal_integration_at"))

    op.drop_table("integration_journal")
