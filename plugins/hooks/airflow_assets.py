"""Asset events recorded from inside the Airflow API server (where the webhook app runs).

The webhook routes only know "binding N changed"; this turns a debounced burst of such pokes into
one Asset event on ``ponton.sync.CALENDAR_CHANGES_ASSET`` through Airflow's asset manager (the
call behind ``POST /api/v2/assets/events``), so DAGs scheduled on that asset run once.
"""

from __future__ import annotations

import logging

from ponton.sync import CALENDAR_CHANGES_ASSET

log = logging.getLogger(__name__)


def emit_calendar_changes(binding_ids: list[int]) -> None:
    from airflow.assets.manager import asset_manager
    from airflow.serialization.definitions.assets import SerializedAssetUniqueKey
    from airflow.utils.session import create_session

    key = SerializedAssetUniqueKey(name=CALENDAR_CHANGES_ASSET, uri=CALENDAR_CHANGES_ASSET)
    with create_session() as session:
        event = asset_manager.register_asset_change(
            asset=key,
            extra={"binding_ids": binding_ids, "source": "ponton webhooks"},
            session=session,
            source_is_api=True,
        )
    if event is None:
        log.warning(
            "no DAG declares %s yet; calendar changes for %s wait for the scheduled import",
            CALENDAR_CHANGES_ASSET,
            binding_ids,
        )
