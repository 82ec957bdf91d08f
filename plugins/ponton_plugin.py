"""The ponton Airflow plugin: the webhook receiver, mounted on the API server under /ponton."""

from airflow.plugins_manager import AirflowPlugin

from ponton.webhooks import create_app


class PontonPlugin(AirflowPlugin):
    name = "ponton"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/ponton", "name": "ponton webhooks"}]
