"""Airflow's own authentication and authorization for ponton's review page.

The page is a plain FastAPI app (``ponton.review.app``); these dependencies make the API server's
auth manager decide: a request without a valid Airflow session (the ``_token`` cookie the UI
sets, or a bearer token) is refused with 401; reading needs read access to the calendar import
DAG, resolving needs edit access to its runs — the same rights as triggering a sync.
"""

from __future__ import annotations

from typing import Annotated

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends

REVIEWED_DAG = "ponton_calendar_import"

_may_read = requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=REVIEWED_DAG)
may_resolve_conflicts = requires_access_dag("PUT", DagAccessEntity.RUN, param_dag_id=REVIEWED_DAG)


def signed_in_user_name(user: GetUserDep, _: Annotated[None, Depends(_may_read)]) -> str:
    """The signed-in user's name, for the page and the journal."""
    return user.get_name()
