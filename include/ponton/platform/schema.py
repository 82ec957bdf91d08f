"""Platform database schema (SQLAlchemy Core).

Every timestamp is stored in UTC (``UTCDateTime``); all-day values are plain dates. Alembic
migrations under ``migrations/versions`` must match this metadata (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored: attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow)


def _updated() -> sa.Column:
    return sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


resources = sa.Table(
    "resources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(120), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, server_default="person"),
    sa.Column("email", sa.String(320)),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    _created(),
)

missions = sa.Table(
    "missions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("client", sa.String(200)),
    sa.Column("location", sa.String(300)),
    sa.Column("description", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    _created(),
    _updated(),
)

mission_members = sa.Table(
    "mission_members",
    metadata,
    sa.Column("mission_id", sa.ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(100)),
)

planning_events = sa.Table(
    "planning_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.String(255), nullable=False),
    # "" for a single event or a series master; for an override or a cancellation of one
    # occurrence, the occurrence's original start in canonical form (``ponton.model.moment_key``).
    sa.Column("recurrence_id", sa.String(20), nullable=False, server_default=""),
    sa.Column("mission_id", sa.ForeignKey("missions.id", ondelete="SET NULL"), index=True),
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("summary", sa.String(500), nullable=False, server_default=""),
    sa.Column("description", sa.Text),
    sa.Column("location", sa.String(500)),
    sa.Column("kind", sa.String(30), nullable=False, server_default="meeting"),
    sa.Column("all_day", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("start_at", UTCDateTime),
    sa.Column("end_at", UTCDateTime),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("recurrence", sa.Text),
    sa.Column("status", sa.String(20), nullable=False, server_default="confirmed"),
    sa.Column("transparency", sa.String(20), nullable=False, server_default="opaque"),
    sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attendees", sa.JSON),
    sa.Column("origin", sa.String(64), nullable=False, server_default="platform"),
    _created(),
    _updated(),
    sa.Column("deleted_at", UTCDateTime),
    # Content hash of the version last published (ICS feed or remote calendar): a publish of
    # another version bumps ``sequence`` first.
    sa.Column("published_hash", sa.String(64)),
    sa.Column("privacy", sa.String(20), nullable=False, server_default="public"),
    sa.Index(None, "resource_id", "start_at"),
    sa.Index(None, "updated_at"),
    sa.UniqueConstraint("uid", "recurrence_id"),
)

availability = sa.Table(
    "availability",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("start_at", UTCDateTime, nullable=False),
    sa.Column("end_at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False, server_default="busy"),
    sa.Column("origin", sa.String(64), nullable=False, server_default="platform"),
    sa.Column("binding_id", sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE")),
    sa.Column("source_uid", sa.String(300)),
    sa.Column("note", sa.String(500)),
    _created(),
    sa.Index(None, "resource_id", "start_at"),
    sa.Index(None, "binding_id", "source_uid"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mission_id", sa.ForeignKey("missions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("storage_key", sa.String(1024), nullable=False),
    sa.Column("content_type", sa.String(200), nullable=False),
    sa.Column("source_path", sa.String(1024)),
    _created(),
    sa.UniqueConstraint("mission_id", "kind", "name"),
)

document_versions = sa.Table(
    "document_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("backend", sa.String(40), nullable=False),
    # The destination: the storage connection and the root it wrote under (bucket/prefix, folder,
    # drive); each destination has its own versions. An empty root is a row written before
    # destinations were recorded, claimed by the next publish to that connection.
    sa.Column("conn_id", sa.String(250), nullable=False),
    sa.Column("root", sa.String(500), nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("checksum", sa.String(200)),  # the backend's hash of what it stores
    sa.Column("remote_id", sa.String(1024)),
    sa.Column("remote_version_id", sa.String(300)),
    sa.Column("published_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("verified_at", UTCDateTime),
    sa.Column("pruned_at", UTCDateTime),  # retention removed it from the destination
    sa.UniqueConstraint("document_id", "conn_id", "root", "version"),
    sa.UniqueConstraint("document_id", "conn_id", "root", "sha256"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Address lists: each item an address string or {"email": ..., "name": ...}.
    sa.Column("to_recipients", sa.JSON),  # nullable: see migration 0006
    sa.Column("cc_recipients", sa.JSON),
    sa.Column("bcc_recipients", sa.JSON),
    sa.Column("reply_to", sa.String(320)),
    sa.Column("reply_to_name", sa.String(200)),
    sa.Column("subject", sa.String(998), nullable=False),
    sa.Column("body_text", sa.Text),
    sa.Column("body_html", sa.Text),
    sa.Column("template", sa.String(200)),
    sa.Column("context", sa.JSON),
    sa.Column("attachments", sa.JSON),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("status_at", UTCDateTime),
    sa.Column("provider", sa.String(40)),
    sa.Column("provider_message_id", sa.String(300)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attempt_id", sa.String(64)),
    sa.Column("last_error", sa.Text),
    _created(),
    _updated(),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("next_attempt_at", UTCDateTime),  # a deferred message waits until then
    sa.Index(None, "status"),
    sa.Index(None, "provider", "provider_message_id"),
)

notification_events = sa.Table(
    "notification_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notification_id", sa.ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("provider_event_id", sa.String(300), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("details", sa.JSON),
    sa.Column("recipient", sa.String(320)),  # None: the event concerns the whole message
    sa.UniqueConstraint("provider", "provider_event_id"),
    sa.Index(None, "notification_id", "occurred_at"),
)

# One row per address a notification goes to, written when dispatch claims it: the status of
# that recipient; the notification's status is rolled up from these (ponton.mail.recipients).
notification_recipients = sa.Table(
    "notification_recipients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notification_id", sa.ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("role", sa.String(3), nullable=False),  # to, cc, bcc
    sa.Column("address", sa.String(320), nullable=False),  # lower-case
    sa.Column("name", sa.String(200)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("status_at", UTCDateTime),
    sa.Column("provider_message_id", sa.String(300)),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("notification_id", "address"),
)

calendar_bindings = sa.Table(
    "calendar_bindings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("provider", sa.String(20), nullable=False),
    sa.Column("source", sa.String(1024), nullable=False),
    sa.Column("conn_id", sa.String(250)),
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("mission_id", sa.ForeignKey("missions.id", ondelete="SET NULL")),
    sa.Column("direction", sa.String(10), nullable=False, server_default="import"),
    sa.Column("conflict_policy", sa.String(20), nullable=False, server_default="manual"),
    sa.Column("options", sa.JSON),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("sync_token", sa.Text),
    sa.Column("feed_etag", sa.String(300)),
    sa.Column("feed_last_modified", sa.String(100)),
    sa.Column("feed_hash", sa.String(64)),
    sa.Column("channel_id", sa.String(300)),
    sa.Column("channel_resource_id", sa.String(300)),
    sa.Column("channel_token_hash", sa.String(64)),
    sa.Column("channel_expires_at", UTCDateTime),
    sa.Column("last_synced_at", UTCDateTime),
    _created(),
    sa.Index(None, "channel_id"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "binding_id", sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("platform_uid", sa.String(255), nullable=False),
    sa.Column("remote_id", sa.String(1024), nullable=False),
    sa.Column("remote_etag", sa.String(300)),
    sa.Column("platform_hash", sa.String(64)),
    sa.Column("remote_hash", sa.String(64)),
    # A write in flight: recognised as ponton's own on the next run if this one stops short.
    sa.Column("written_hash", sa.String(64)),
    sa.Column("synced_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("binding_id", "platform_uid"),
    sa.UniqueConstraint("binding_id", "remote_id"),
)

# A write of an event not paired yet (a create, or an occurrence's first override), noted before
# it is sent: if the run stops before the pair is recorded, the next run recognises the remote's
# content as ponton's own write rather than a remote edit.
sync_writes_in_flight = sa.Table(
    "sync_writes_in_flight",
    metadata,
    sa.Column(
        "binding_id",
        sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("platform_uid", sa.String(255), primary_key=True),
    sa.Column("written_hash", sa.String(64), nullable=False),
)

foreign_events = sa.Table(
    "foreign_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "binding_id", sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("remote_id", sa.String(1024), nullable=False),
    # The UID shared by a series' master and overrides: their busy blocks are expanded together.
    sa.Column("series_uid", sa.String(255)),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("binding_id", "remote_id"),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("binding_id", sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE")),
    sa.Column("resource_id", sa.ForeignKey("resources.id", ondelete="CASCADE")),
    sa.Column("platform_uid", sa.String(255)),
    sa.Column("remote_id", sa.String(1024)),
    sa.Column("platform_version", sa.JSON),
    sa.Column("remote_version", sa.JSON),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("resolution", sa.String(40)),
    sa.Column("detected_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("resolved_at", UTCDateTime),
    sa.Index(None, "status", "kind"),
)

webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("dedupe_key", sa.String(300), nullable=False),
    sa.Column("binding_id", sa.ForeignKey("calendar_bindings.id", ondelete="CASCADE")),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("processed_at", UTCDateTime),
    sa.UniqueConstraint("source", "dedupe_key"),
    sa.Index(None, "source", "processed_at"),
)

integration_journal = sa.Table(
    "integration_journal",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("integration", sa.String(40), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("object_type", sa.String(40)),
    sa.Column("object_id", sa.String(300)),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("details", sa.JSON),
    sa.Column("dag_id", sa.String(250)),
    sa.Column("run_id", sa.String(250)),
    sa.Column("task_id", sa.String(250)),
    sa.Index(None, "integration", "at"),
    sa.Index(None, "outcome", "at"),
)

mail_suppressions = sa.Table(
    "mail_suppressions",
    metadata,
    sa.Column("address", sa.String(320), primary_key=True),  # lower-case
    sa.Column("reason", sa.String(20), nullable=False),  # bounced, complained, unsubscribed
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("notification_id", sa.Integer),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)

kv_cursors = sa.Table(
    "kv_cursors",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text),
    _updated(),
)
