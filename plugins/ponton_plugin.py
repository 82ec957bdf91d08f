"""The ponton Airflow plugin: the webhook receiver and the conflict review page, mounted on the
API server under /ponton, the review page in the navigation, and links from task instances to
the journal of their run."""

from airflow.plugins_manager import AirflowPlugin

from ponton.hooks.airflow_assets import emit_calendar_changes
from ponton.hooks.connections import AirflowConnectionResolver
from ponton.hooks.review_auth import may_resolve_conflicts, signed_in_user_name
from ponton.operators.links import JournalLink
from ponton.review.app import create_review_app
from ponton.webhooks import create_app
from ponton.webhooks.signal import calendar_changes

calendar_changes.connect(emit_calendar_changes)


class PontonPlugin(AirflowPlugin):
    name = "ponton"
    # Mounted in this order: /ponton/review must come before the /ponton prefix that covers it.
    fastapi_apps = [
        {
            "app": create_review_app(
                user_name=signed_in_user_name, may_resolve=may_resolve_conflicts
            ),
            "url_prefix": "/ponton/review",
            "name": "ponton review",
        },
        {
            "app": create_app(connections=AirflowConnectionResolver()),
            "url_prefix": "/ponton",
            "name": "ponton webhooks",
        },
    ]
    # An entry in the navigation that frames the review page inside the Airflow UI.
    external_views = [
        {
            "name": "Conflicts",
            "href": "ponton/review/conflicts",
            "url_route": "ponton-conflicts",
            "destination": "nav",
            "category": "browse",
        }
    ]
    operator_extra_links = [JournalLink()]
