"""Which storage hook serves a connection: chosen by the connection's type, from the one registry
of connection types (:data:`ponton.provider.CONNECTION_TYPES`)."""

from __future__ import annotations

import importlib

from ponton.errors import ConfigError
from ponton.provider import hooks_for

LOCAL_CONN_ID = "ponton_storage_local"


def storage_hook_for(conn_id: str):
    """The hook building the storage backend for ``conn_id``.

    The embedded local folder needs no connection: a missing ``ponton_storage_local`` falls back
    to ``$PONTON_HOME/storage``.
    """
    from airflow.sdk import BaseHook

    hooks = hooks_for("storage")
    try:
        conn_type = BaseHook.get_connection(conn_id).conn_type
    except Exception as exc:
        if conn_id != LOCAL_CONN_ID:
            raise ConfigError(
                f"storage connection {conn_id!r} does not exist; create it (see "
                "docs/integrations/storage.md) or remove it from ponton_storage_conn_ids"
            ) from exc
        conn_type = "ponton_local_storage"
    if conn_type not in hooks:
        raise ConfigError(
            f"connection {conn_id!r} has type {conn_type!r}, not a storage type; use one of "
            f"{', '.join(sorted(hooks))}"
        )
    module, _, cls = hooks[conn_type].rpartition(".")
    hook_class = getattr(importlib.import_module(module), cls)
    return hook_class(**{hook_class.conn_name_attr: conn_id})


def storage_for(conn_id: str):
    """The :class:`ponton.storage.Storage` behind ``conn_id``."""
    return storage_hook_for(conn_id).get_conn()


def split_conn_ids(value: str | list[str]) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` → ``["a", "b"]`` (an Airflow Variable holds the string)."""
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item and item.strip()]


def storages_for(conn_ids: str | list[str]) -> list:
    """The storages named by ``ponton_storage_conn_ids`` (or a list); none is a config error."""
    names = split_conn_ids(conn_ids)
    if not names:
        raise ConfigError("no storage connection configured: set ponton_storage_conn_ids")
    return [storage_for(conn_id) for conn_id in names]


def destinations_for(conn_ids: str | list[str]) -> list:
    """The publishing destinations named by ``conn_ids``: each connection's backend and the
    retention its extras ask for (``keep_versions``, ``keep_days``)."""
    from airflow.sdk import BaseHook

    from ponton.documents.ledger import Destination, Retention

    names = split_conn_ids(conn_ids)
    if not names:
        raise ConfigError("no storage connection configured: set ponton_storage_conn_ids")
    destinations = []
    for conn_id in names:
        storage = storage_for(conn_id)
        try:
            extra = BaseHook.get_connection(conn_id).extra_dejson
        except Exception:  # noqa: BLE001 - the embedded local folder has no connection
            extra = {}
        keep = extra.get("keep_versions")
        retention = Retention(
            keep=int(keep) if keep not in (None, "") else None,
            min_age_days=int(extra.get("keep_days") or 0),
        )
        destinations.append(Destination(conn_id=conn_id, storage=storage, retention=retention))
    return destinations
