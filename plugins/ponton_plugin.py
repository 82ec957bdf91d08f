"""The ponton Airflow plugin: the webhook receiver, mounted on the API server under /ponton."""

from airflow.plugins_manager import AirflowPlugin

from ponton.hooks.airflow_assets import emit_calendar_changes
from ponton.webhooks import create_app
from ponton.webhooks.signal import calendar_changes

calendar_changes.connect(emit_calendar_changes)


class PontonPlugin(AirflowPlugin):
    name = "ponton"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/ponton", "name": "ponton webhooks"}]
