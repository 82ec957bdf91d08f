import pytest
from fastapi.testclient import TestClient

from ponton.webhooks import create_app
from ponton.webhooks.inbox import mark_processed, pending, store


def test_replayed_notification_is_stored_once(platform_db):
    assert store(platform_db, "google", "chan-1:42", {"state": "exists"}) is True
    assert store(platform_db, "google", "chan-1:42", {"state": "exists"}) is False
    assert store(platform_db, "graph", "chan-1:42", {"x": 1}) is True
    rows = pending(platform_db, "google")
    assert [r["payload"] for r in rows] == [{"state": "exists"}]
    mark_processed(platform_db, [r["id"] for r in rows])
    assert pending(platform_db, "google") == []


def test_app_answers_health_without_a_database():
    client = TestClient(create_app())
    assert client.get("/webhooks/health").json() == {"status": "ok"}


@pytest.mark.dags
def test_airflow_plugin_mounts_the_app_under_ponton():
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location(
        "ponton_plugin", ROOT / "plugins/ponton_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    apps = {app["url_prefix"]: app for app in module.PontonPlugin.fastapi_apps}
    app = apps["/ponton"]
    assert TestClient(app["app"]).get("/webhooks/health").status_code == 200
