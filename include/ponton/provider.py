"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Lists ponton's connection types so they appear in the Airflow UI with their form fields. Only
class paths as strings and declarative form metadata (Airflow 3's ``conn-fields`` and
``ui-field-behaviour``): Airflow builds the forms without importing the hooks, and this module
stays Airflow-free.
"""

from __future__ import annotations

from typing import Any

import ponton


def _text(label: str, description: str | None = None, *, secret: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if secret:
        schema["format"] = "password"
    field: dict[str, Any] = {"label": label, "schema": schema}
    if description:
        field["description"] = description
    return field


def _flag(label: str, description: str) -> dict[str, Any]:
    return {
        "label": label,
        "schema": {"type": ["boolean", "null"], "default": False},
        "description": description,
    }


# Fields every mail connection shares.
_MAIL_FIELDS = {
    "from_email": _text("From address", "A sender the provider has verified (SPF/DKIM aligned)"),
    "from_name": _text("From name"),
    "ops_recipients": _text(
        "Ops alert recipients", "Comma-separated; task failures of every ponton DAG are mailed here"
    ),
}

CONNECTION_TYPES: tuple[dict[str, Any], ...] = (
    {
        "connection-type": "ponton_platform",
        "hook-class-name": "ponton.hooks.platform.PlatformDBHook",
    },
    {
        "connection-type": "ponton_smtp",
        "hook-class-name": "ponton.hooks.smtp_mail.SmtpMailHook",
        "hook-name": "SMTP relay (ponton mail)",
        "conn-fields": _MAIL_FIELDS
        | {
            "disable_ssl": _flag("Disable implicit TLS", "Check for STARTTLS (587) and plain (25)"),
            "disable_tls": _flag("Disable STARTTLS", "Check for implicit TLS (465) and plain (25)"),
            "ssl_ca_file": _text("CA bundle path", "Only for a relay with a private CA"),
            "timeout": {
                "label": "Timeout (s)",
                "schema": {"type": ["integer", "null"], "default": 30},
            },
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "extra"],
            "relabeling": {"login": "SMTP user", "password": "SMTP password"},
            "placeholders": {"host": "smtp.example.com", "port": "587"},
        },
    },
    {
        "connection-type": "ponton_sendgrid",
        "hook-class-name": "ponton.hooks.sendgrid_mail.SendGridMailHook",
        "hook-name": "SendGrid (ponton mail)",
        "conn-fields": _MAIL_FIELDS
        | {
            "webhook_public_key": _text(
                "Event Webhook verification key", "Settings > Mail Settings > Signed Event Webhook"
            ),
            "webhook_public_key_previous": _text(
                "Previous verification key", "Keep the old key here while a rotation settles"
            ),
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
    {
        "connection-type": "ponton_postmark",
        "hook-class-name": "ponton.hooks.postmark_mail.PostmarkMailHook",
        "hook-name": "Postmark (ponton mail)",
        "conn-fields": _MAIL_FIELDS
        | {
            "message_stream": _text("Message stream", "Default: outbound"),
            "webhook_username": _text("Webhook username", "The HTTP auth user set on the webhook"),
            "webhook_password": _text("Webhook password", secret=True),
            "webhook_password_previous": _text(
                "Previous webhook password", "Accepted too while a rotation settles", secret=True
            ),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "login", "port", "extra"],
            "relabeling": {"password": "Server token", "host": "API URL (empty: Postmark)"},
            "placeholders": {},
        },
    },
)


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "ponton",
        "name": "ponton",
        "description": "Calendars, storage and mail for the platform's planning and documents.",
        "versions": [ponton.__version__],
        "connection-types": [dict(entry) for entry in CONNECTION_TYPES],
    }
