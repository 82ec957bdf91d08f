"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Lists ponton's connection types so they appear in the Airflow UI with their form fields. Only
class paths as strings: Airflow imports the hooks itself, this module stays Airflow-free.
"""

from __future__ import annotations

from typing import Any

import ponton

# The one registry of connection types: (connection type, hook class path, port). The calendar,
# storage and mail lookups derive from it (see ``hooks_for``); each integration adds its row here.
CONNECTION_TYPES: tuple[tuple[str, str, str], ...] = (
    ("ponton_platform", "ponton.hooks.platform.PlatformDBHook", "platform"),
    ("ponton_local_storage", "ponton.hooks.local_storage.LocalStorageHook", "storage"),
    ("ponton_s3", "ponton.hooks.s3_storage.S3StorageHook", "storage"),
    ("ponton_gdrive", "ponton.hooks.gdrive_storage.GoogleDriveStorageHook", "storage"),
    ("ponton_sharepoint", "ponton.hooks.sharepoint_storage.SharePointStorageHook", "storage"),
    ("ponton_google_calendar", "ponton.hooks.google_calendar.GoogleCalendarHook", "calendar"),
    ("ponton_outlook_calendar", "ponton.hooks.outlook_calendar.OutlookCalendarHook", "calendar"),
    ("ponton_ics", "ponton.hooks.ics_feed.IcsFeedHook", "calendar"),
    ("ponton_caldav", "ponton.hooks.caldav_account.CalDavHook", "calendar"),
    ("ponton_smtp", "ponton.hooks.smtp_mail.SmtpMailHook", "mail"),
    ("ponton_sendgrid", "ponton.hooks.sendgrid_mail.SendGridMailHook", "mail"),
    ("ponton_postmark", "ponton.hooks.postmark_mail.PostmarkMailHook", "mail"),
    ("ponton_local_mail", "ponton.hooks.local_mail.LocalMailHook", "mail"),
    ("ponton_mail_webhooks", "ponton.hooks.mail_webhooks.MailWebhooksHook", "mail_webhooks"),
)


def hooks_for(port: str) -> dict[str, str]:
    """connection type -> hook class path, for the connection types serving ``port``."""
    return {conn_type: hook for conn_type, hook, of in CONNECTION_TYPES if of == port}


def _text(label: str, *, secret: bool = False, description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if secret:
        schema["format"] = "password"  # masked in the form, and by the secrets masker in logs
    field: dict[str, Any] = {"label": label, "schema": schema}
    if description:
        field["description"] = description
    return field


# When an Entra ID client secret or certificate expires; ponton doctor warns 30 days ahead.
_SECRET_EXPIRES_AT = _text(
    "Client secret expires at (ISO date)", description="The health check warns 30 days before"
)


def _flag(label: str, description: str, *, default: bool = False) -> dict[str, Any]:
    """A check box: stored as a JSON boolean, never as the text "false" (which reads as true)."""
    schema = {"type": "boolean", "default": default}
    return {"label": label, "schema": schema, "description": description}


# Fields every mail connection shares (docs/integrations/mail.md).
_MAIL_FIELDS = {
    "from_email": _text("From address", description="A sender the provider has verified"),
    "from_name": _text("From name"),
    "ops_recipients": _text(
        "Ops alert recipients", description="Comma-separated; every ponton task failure mailed"
    ),
}


# Retention of published document versions, per storage connection (docs/integrations/storage.md).
_RETENTION_FIELDS = {
    "keep_versions": _text(
        "Versions kept per document", description="Blank: all; older ones are deleted"
    ),
    "keep_days": _text("Never prune versions younger than (days)", description="Blank: 0"),
}


# Declarative connection forms (Airflow 3's UI reads "conn-fields" / "ui-field-behaviour" from the
# provider info rather than calling the hooks' form methods); keyed by connection type.
CONNECTION_FORMS: dict[str, dict[str, Any]] = {
    "ponton_google_calendar": {
        "hook-name": "Google Calendar (ponton)",
        "conn-fields": {
            "key_path": _text("Service account key file path"),
            "keyfile_dict": _text("Service account key JSON", secret=True),
            "subject": _text("Delegated user (domain-wide delegation)"),
            "refresh_token": _text(
                "OAuth refresh token (instead of a service account)", secret=True
            ),
            "api_endpoint": _text("API endpoint (empty: Google)"),
            "token_uri": _text("OAuth token URI (empty: Google)"),
            "calendar_id": _text(
                "Calendar read by the connection test", description="Blank: primary"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port"],
            "relabeling": {"login": "OAuth client id", "password": "OAuth client secret"},
            "placeholders": {"subject": "planner@example.com"},
        },
    },
    "ponton_outlook_calendar": {
        "hook-name": "Outlook calendar, Microsoft Graph (ponton)",
        "conn-fields": {
            "tenant_id": _text("Directory (tenant) id"),
            "certificate_path": _text("Certificate (PEM) path, instead of a secret"),
            "certificate_data": _text("Certificate (PEM) with its private key", secret=True),
            "secret_expires_at": _SECRET_EXPIRES_AT,
            "authority_host": _text("Authority host (empty: login.microsoftonline.com)"),
            "base_url": _text("Graph base URL (empty: https://graph.microsoft.com/v1.0)"),
            "mailbox": _text("Mailbox read by the connection test"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port"],
            "relabeling": {"login": "Application (client) id", "password": "Client secret"},
            "placeholders": {"tenant_id": "00000000-0000-0000-0000-000000000000"},
        },
    },
    "ponton_ics": {
        "hook-name": "ICS feed (ponton)",
        "conn-fields": {
            "url": _text(
                "Feed URL", secret=True, description="A private feed URL is a secret: it lives here"
            ),
            "allow_hosts": _text(
                "Allowed private hosts", description="Comma-separated; loopback and LAN are refused"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port", "login", "password"],
            "relabeling": {"host": "Feed URL (or the Feed URL field below)"},
            "placeholders": {"url": "https://calendar.example.com/private-3f9c/basic.ics"},
            "secret-fields": ["host"],
        },
    },
    "ponton_caldav": {
        "hook-name": "CalDAV calendar (ponton)",
        "conn-fields": {
            "calendar_url": _text(
                "Calendar URL", description="Blank: each binding's source; needed for the Test"
            ),
            "allow_hosts": _text(
                "Allowed private hosts", description="Comma-separated; loopback and LAN are refused"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port", "host"],
            "relabeling": {"login": "User", "password": "App password"},
            "placeholders": {"calendar_url": "https://dav.example.com/calendars/chloe/travail/"},
        },
    },
    "ponton_platform": {
        "hook-name": "Platform database (ponton)",
        "conn-fields": {
            "url": _text(
                "Full SQLAlchemy URL", secret=True, description="Instead of host/login/schema"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["port"],
            "relabeling": {"schema": "Database", "host": "Host (empty: embedded SQLite)"},
            "placeholders": {"host": "db.internal", "schema": "platform", "login": "ponton"},
        },
    },
    "ponton_local_storage": {
        "hook-name": "Local folder storage (ponton)",
        "conn-fields": {"path": _text("Folder", description="Blank: $PONTON_HOME/storage")}
        | _RETENTION_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "login", "password", "port"],
            "relabeling": {},
            "placeholders": {},
        },
    },
    "ponton_s3": {
        "hook-name": "S3 storage (ponton)",
        "conn-fields": {
            "bucket": _text("Bucket", description="Required; versioning enabled"),
            "prefix": _text("Key prefix"),
            "aws_conn_id": _text(
                "AWS connection", description="Holds keys or a role; blank: aws_default"
            ),
            "kms_key_id": _text("KMS key id (SSE-KMS)"),
            "part_size": _text("Multipart part size in bytes", description="Blank: 8 MiB"),
            "allow_unversioned": _flag(
                "Allow an unversioned bucket", "Publish even where old versions cannot be kept"
            ),
        }
        | _RETENTION_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "login", "password", "port"],
            "relabeling": {},
            "placeholders": {"bucket": "ponton-docs", "aws_conn_id": "aws_default"},
        },
    },
    "ponton_gdrive": {
        "hook-name": "Google Drive storage (ponton)",
        "conn-fields": {
            "key_path": _text("Service account key file path"),
            "keyfile_dict": _text("Service account key JSON", secret=True),
            "refresh_token": _text(
                "OAuth refresh token (instead of a service account)", secret=True
            ),
            "scope": _text("Scopes", description="Blank: https://www.googleapis.com/auth/drive"),
            "folder_id": _text("Root folder id", description="Blank: the drive's root"),
            "drive_id": _text("Shared drive id", description="Empty: My Drive"),
            "keep_forever": _text(
                "Revisions kept forever per file", description="Blank: 100, at most 200"
            ),
            "chunk_size": _text("Upload chunk size in bytes", description="Blank: 8 MiB"),
        }
        | _RETENTION_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port"],
            "relabeling": {"login": "OAuth client id", "password": "OAuth client secret"},
            "placeholders": {},
        },
    },
    "ponton_sharepoint": {
        "hook-name": "SharePoint / OneDrive storage (ponton)",
        "conn-fields": {
            "tenant_id": _text("Tenant ID"),
            "site": _text("Site (host:/path)"),
            "library": _text("Library", description="Blank: Documents"),
            "drive_id": _text("Drive id", description="Instead of site and library"),
            "folder": _text("Folder"),
            "simple_upload_limit": _text(
                "Single-request upload limit in bytes", description="Blank: 4 MiB, at most 250 MB"
            ),
            "secret_expires_at": _SECRET_EXPIRES_AT,
        }
        | _RETENTION_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port", "host"],
            "relabeling": {"login": "Client ID", "password": "Client secret"},
            "placeholders": {"site": "contoso.sharepoint.com:/sites/missions"},
        },
    },
    "ponton_smtp": {
        "hook-name": "SMTP mail relay (ponton)",
        "conn-fields": _MAIL_FIELDS
        | {
            "disable_ssl": _flag("Disable implicit TLS", "Check for STARTTLS (587) and plain (25)"),
            "disable_tls": _flag("Disable STARTTLS", "Check for implicit TLS (465) and plain (25)"),
            "ssl_ca_file": _text("CA bundle path", description="Only for a private-CA relay"),
            "timeout": {
                "label": "Timeout (s)",
                "schema": {"type": ["integer", "null"], "default": 30},
            },
            # The mailbox bounces are delivered to (docs/integrations/mail.md, bounce mailbox).
            "bounce_address": _text(
                "Envelope sender (Return-Path)", description="Blank: the From address"
            ),
            "bounce_imap_host": _text(
                "Bounce mailbox IMAP host", description="Blank: bounces are not read"
            ),
            "bounce_imap_port": _text("Bounce mailbox IMAP port", description="Blank: 993 or 143"),
            "bounce_imap_security": _text(
                "Bounce mailbox security", description="ssl (default), starttls or none"
            ),
            "bounce_imap_user": _text("Bounce mailbox user"),
            "bounce_imap_password": _text("Bounce mailbox password", secret=True),
            "bounce_imap_folder": _text("Bounce mailbox folder", description="Blank: INBOX"),
        }
        | _RETENTION_FIELDS,
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "extra"],
            "relabeling": {"login": "SMTP user", "password": "SMTP password"},
            "placeholders": {"host": "smtp.example.com", "port": "587"},
        },
    },
    "ponton_sendgrid": {
        "hook-name": "SendGrid mail (ponton)",
        "conn-fields": _MAIL_FIELDS
        | {
            "activity_api": _flag(
                "Email Activity API", "The account has the Email Activity add-on (status pull)"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "login", "port", "extra"],
            "relabeling": {"password": "API key", "host": "API host (empty: api.sendgrid.com)"},
            "placeholders": {"host": "https://api.eu.sendgrid.com"},
        },
    },
    "ponton_postmark": {
        "hook-name": "Postmark mail (ponton)",
        "conn-fields": _MAIL_FIELDS
        | {
            "message_stream": _text("Message stream", description="Blank: outbound"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "login", "port", "extra"],
            "relabeling": {"password": "Server token", "host": "API URL (empty: Postmark)"},
            "placeholders": {},
        },
    },
    "ponton_local_mail": {
        "hook-name": "Local mail capture (ponton)",
        "conn-fields": _MAIL_FIELDS
        | {
            "folder": _text("Folder", description="Default: $PONTON_HOME/mail"),
            "demo": _flag(
                "Demo", "Local capture is intended here; the health check flags it otherwise"
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "login", "password", "port", "extra"],
            "relabeling": {},
            "placeholders": {},
        },
    },
    # Only what the webhook receiver needs, so the API server never holds an API key or token.
    "ponton_mail_webhooks": {
        "hook-name": "Mail webhook keys (ponton)",
        "conn-fields": {
            "sendgrid_public_key": _text(
                "SendGrid verification key",
                secret=True,
                description="Settings > Mail Settings > Signed Event Webhook",
            ),
            "sendgrid_public_key_previous": _text(
                "Previous SendGrid verification key",
                secret=True,
                description="Kept while a rotation settles",
            ),
            "postmark_password_previous": _text(
                "Previous Postmark webhook password",
                secret=True,
                description="Kept during a rotation",
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port", "extra"],
            "relabeling": {
                "login": "Postmark webhook username",
                "password": "Postmark webhook password",
            },
            "placeholders": {},
        },
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "ponton",
        "name": "ponton",
        "description": "Calendars, storage and mail for the platform's planning and documents.",
        "versions": [ponton.__version__],
        "connection-types": [
            {"connection-type": conn_type, "hook-class-name": hook}
            | CONNECTION_FORMS.get(conn_type, {})
            for conn_type, hook, _port in CONNECTION_TYPES
        ],
    }
