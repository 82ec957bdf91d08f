"""Webhook receiver: one FastAPI app, mounted by the Airflow plugin under ``/ponton``.

Routes verify the sender (token, signature or basic auth) before touching the database, store the
notification in ``webhook_inbox`` (deduplicated) and answer at once; DAGs do the work. Each source
lives in its own module listed in ``ROUTER_MODULES`` and exposes ``router`` (an ``APIRouter``).
Routes that need secrets read them through ``app.state.connections`` (Airflow's secrets backends
when the plugin mounts the app, ``AIRFLOW_CONN_*`` variables otherwise).
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from ponton.secrets import ConnectionResolver, EnvConnectionResolver
from ponton.webhooks.headers import SecurityHeaders

ROUTER_MODULES: tuple[str, ...] = ("ponton.webhooks.calendar", "ponton.webhooks.mail")


def create_app(connections: ConnectionResolver | None = None) -> FastAPI:
    app = FastAPI(
        title="ponton webhooks",
        description="Push notifications from calendar and mail providers.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(SecurityHeaders)
    app.state.connections = connections or EnvConnectionResolver()

    @app.get("/webhooks/health", include_in_schema=False)
    async def health() -> dict[str, str]:  # on the loop: never queued behind pool work
        return {"status": "ok"}

    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router, prefix="/webhooks")
    return app
