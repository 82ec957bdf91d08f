"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point.

Lists ponton's connection types so they appear in the Airflow UI with their form fields. Only
class paths as strings: Airflow imports the hooks itself, this module stays Airflow-free.
"""

from __future__ import annotations

from typing import Any

import ponton

# (connection type, hook class path); each integration adds its hook here.
CONNECTION_TYPES: tuple[tuple[str, str], ...] = (
    ("ponton_platform", "ponton.hooks.platform.PlatformDBHook"),
    ("ponton_local_storage", "ponton.hooks.local_storage.LocalStorageHook"),
    ("ponton_s3", "ponton.hooks.s3_storage.S3StorageHook"),
    ("ponton_gdrive", "ponton.hooks.gdrive_storage.GoogleDriveStorageHook"),
    ("ponton_sharepoint", "ponton.hooks.sharepoint_storage.SharePointStorageHook"),
)


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "ponton",
        "name": "ponton",
        "description": "Calendars, storage and mail for the platform's planning and documents.",
        "versions": [ponton.__version__],
        "connection-types": [
            {"connection-type": conn_type, "hook-class-name": hook}
            for conn_type, hook in CONNECTION_TYPES
        ],
    }
