"""Airflow's secrets backends seen through the domain's ``ConnectionResolver`` port."""

from __future__ import annotations

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from ponton.errors import ConfigError
from ponton.hooks.masking import mask_connection
from ponton.secrets import ConnectionInfo


class AirflowConnectionResolver:
    """Connections from whatever backend Airflow is configured with (env, DB, file, Vault)."""

    def get(self, conn_id: str) -> ConnectionInfo:
        try:
            conn = BaseHook.get_connection(conn_id)
        except AirflowNotFoundException as exc:
            raise ConfigError(
                f"connection {conn_id!r} not found: create it in Airflow (UI, CLI, "
                "AIRFLOW_CONN_* variable or the secrets backend)"
            ) from exc
        mask_connection(conn)
        return ConnectionInfo(
            conn_id=conn_id,
            conn_type=conn.conn_type,
            host=conn.host,
            login=conn.login,
            password=conn.password,
            schema=conn.schema,
            port=conn.port,
            extra=conn.extra_dejson,
        )
