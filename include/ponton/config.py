"""What ponton reads from Airflow besides its connections: the variables and environment. One
registry, so the catalogue (docs/configuration.md), the secrets masker and ``ponton doctor`` all
see the same list, and a test catches a variable read elsewhere.

Connection types (each with a hook and its form) are declared once, in :mod:`ponton.provider`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VariableSpec:
    name: str
    default: str
    meaning: str
    used_by: tuple[str, ...]


VARIABLES: tuple[VariableSpec, ...] = (
    VariableSpec(
        "ponton_storage_conn_ids",
        "ponton_storage_local",
        "Comma-separated storage connections every roadmap, asset and ICS feed is published to.",
        ("ponton_documents_publish", "ponton_calendar_publish"),
    ),
    VariableSpec(
        "ponton_roadmap_pdf_variant",
        "",
        "WeasyPrint PDF variant of roadmaps, e.g. `pdf/a-3b` for archival; empty: plain PDF.",
        ("ponton_documents_publish",),
    ),
    VariableSpec(
        "ponton_webhook_base_url",
        "",
        "Public HTTPS URL of the webhook app (e.g. `https://hooks.example.com/ponton`); needed as "
        "soon as one binding wants push.",
        ("ponton_calendar_channels",),
    ),
)


# Environment variables ponton reads itself (Airflow's own AIRFLOW__* settings aside).
ENVIRONMENT: tuple[VariableSpec, ...] = (
    VariableSpec(
        "PONTON_HOME",
        "$AIRFLOW_HOME/ponton, else ~/.ponton",
        "Embedded state: SQLite platform DB, local storage folder, local mail capture.",
        ("every DAG", "ponton CLI"),
    ),
    VariableSpec(
        "PONTON_PLATFORM_DB_URL",
        "SQLite under PONTON_HOME",
        "Platform DB URL (the ponton_platform connection does the same inside Airflow); may hold "
        "a password: set it from a secret.",
        ("every DAG", "ponton CLI"),
    ),
    VariableSpec(
        "PONTON_DOCUMENT_ROOTS",
        "$PONTON_HOME/documents",
        "Folders (separated by ':') document sources may be published from; others are refused.",
        ("ponton_documents_publish",),
    ),
    VariableSpec(
        "PONTON_ICS_ALLOW_HOSTS",
        "",
        "Comma-separated private hosts every ICS binding may fetch (SSRF allow-list).",
        ("ponton_calendar_import",),
    ),
    VariableSpec(
        "PONTON_DOCUMENT_ROOTS",
        "$PONTON_HOME/documents",
        "Folders (separated by `:`) mission documents may be read from; any other source path is "
        "refused.",
        ("ponton_documents_publish", "ponton CLI"),
    ),
    VariableSpec(
        "PONTON_MAIL_CONN_ID",
        "ponton_mail",
        "Connection id of the shared mail provider.",
        ("mail DAGs", "failure alerts"),
    ),
    VariableSpec(
        "PONTON_MAIL_WEBHOOKS_CONN_ID",
        "ponton_mail_webhooks",
        "Connection id of the mail webhook verification keys.",
        ("webhook app",),
    ),
    VariableSpec(
        "PONTON_OPS_EMAIL",
        "",
        "Comma-separated recipients of failure alerts (else the mail connection's ops_recipients).",
        ("failure alerts",),
    ),
    VariableSpec(
        "PONTON_REDIS_URL",
        "AIRFLOW__CELERY__BROKER_URL when it is a redis:// URL",
        "Redis through which every worker shares Outlook's 4-requests-per-mailbox budget; 'none' "
        "counts per process. May hold a password: set it from a secret.",
        ("ponton_calendar_import", "ponton_calendar_channels"),
    ),
    VariableSpec(
        "PONTON_WEBHOOK_DEBOUNCE_SECONDS",
        "30",
        "Seconds the webhook app gathers notifications into one asset event.",
        ("webhook app",),
    ),
)


# Which DAGs read a connection type (the catalogue's "used by" column).
USED_BY: dict[str, tuple[str, ...]] = {
    "ponton_platform": ("every DAG",),
    "ponton_local_storage": ("ponton_documents_publish", "ponton_calendar_publish"),
    "ponton_s3": ("ponton_documents_publish", "ponton_calendar_publish"),
    "ponton_gdrive": ("ponton_documents_publish", "ponton_calendar_publish"),
    "ponton_sharepoint": ("ponton_documents_publish", "ponton_calendar_publish"),
    "ponton_google_calendar": ("ponton_calendar_import", "ponton_calendar_channels"),
    "ponton_outlook_calendar": ("ponton_calendar_import", "ponton_calendar_channels"),
    "ponton_ics": ("ponton_calendar_import",),
    "ponton_caldav": ("ponton_calendar_import",),
    "ponton_smtp": ("ponton_mail_dispatch", "ponton_mail_reconcile", "failure alerts"),
    "ponton_sendgrid": ("ponton_mail_dispatch", "ponton_mail_reconcile", "failure alerts"),
    "ponton_postmark": ("ponton_mail_dispatch", "ponton_mail_reconcile", "failure alerts"),
    "ponton_local_mail": ("ponton_mail_dispatch", "ponton_mail_reconcile", "failure alerts"),
    "ponton_mail_webhooks": ("the mail webhook receiver on the API server",),
}

# Besides the password, extras Airflow's masker would not recognise by name but that are secret.
ALWAYS_SECRET_EXTRAS = ("keyfile_dict", "refresh_token", "certificate_data", "client_secret")


def connection_types() -> list[dict[str, Any]]:
    """Every connection type ponton reads; each has a hook, so each is listed in the Airflow UI."""
    from ponton.provider import get_provider_info

    return [dict(entry) for entry in get_provider_info()["connection-types"]]


def hook_connection_types() -> dict[str, str]:
    """connection type -> hook class path, for the types that have a hook."""
    return {
        entry["connection-type"]: entry["hook-class-name"]
        for entry in connection_types()
        if entry.get("hook-class-name")
    }


def secret_fields(conn_type: str | None) -> tuple[str, ...]:
    """Extras (and connection attributes) of ``conn_type`` whose values must be masked."""
    for entry in connection_types():
        if entry["connection-type"] == conn_type:
            fields = entry.get("conn-fields", {})
            declared = [
                name
                for name, spec in fields.items()
                if spec.get("schema", {}).get("format") == "password"
            ]
            declared += entry.get("ui-field-behaviour", {}).get("secret-fields", [])
            return tuple(dict.fromkeys([*declared, *ALWAYS_SECRET_EXTRAS]))
    return ALWAYS_SECRET_EXTRAS
