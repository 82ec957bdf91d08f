"""The webhook signal reaches Airflow: a debounced burst becomes one Asset event on the asset the
import DAG is scheduled on (Airflow's own asset manager, against a real metadata DB)."""

import pytest

pytestmark = [pytest.mark.dags, pytest.mark.slow]


@pytest.fixture(scope="module")
def airflow_db():
    from airflow.utils.db import initdb

    initdb()


def test_a_burst_of_pokes_records_one_asset_event(airflow_db):
    from airflow.models.asset import AssetActive, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from ponton.hooks.airflow_assets import emit_calendar_changes
    from ponton.sync import CALENDAR_CHANGES_ASSET
    from ponton.webhooks.signal import Debouncer

    with create_session() as session:
        asset = AssetModel(name=CALENDAR_CHANGES_ASSET, uri=CALENDAR_CHANGES_ASSET)
        session.add(asset)
        session.flush()
        session.add(AssetActive.for_asset(asset))

    signal = Debouncer(window=3600)
    signal.connect(emit_calendar_changes)
    for binding_id in (3, 1, 3, 2):
        signal.poke(binding_id)
    signal.flush()

    with create_session() as session:
        events = session.scalars(select(AssetEvent)).all()
        assert [e.extra["binding_ids"] for e in events] == [[1, 2, 3]]
