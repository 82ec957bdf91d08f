"""The conflict review page: a small server-rendered FastAPI app the Airflow plugin mounts.

Airflow-free on purpose: who the user is and whether they may resolve are FastAPI dependencies
the caller passes in (the plugin passes Airflow's own authentication and authorization), so the
page is tested without an API server and the domain never imports Airflow. Resolving calls
``ponton.sync.resolution.resolve_conflict`` — the code behind ``ponton conflicts resolve`` —
and journals the user's name.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at runtime.
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ponton.context import RunContext
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import integration_journal
from ponton.review.queue import open_queue
from ponton.sync.resolution import ACTIONS, resolve_conflict

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
KIND_TITLES = {
    "edit_edit": "Edited on both sides",
    "double_booking": "Double booking",
    "refused": "Refused by the remote calendar",
}


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another site (the session cookie would ride along)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(status_code=403, detail="cross-site form post refused")


def create_review_app(
    *,
    user_name: Callable[..., Any],
    may_resolve: Callable[..., Any],
    platform_db: Callable[[], PlatformDB] = PlatformDB,
) -> FastAPI:
    """``user_name``: a dependency returning the signed-in user's name (refusing anonymous
    requests); ``may_resolve``: a dependency refusing users who may not resolve."""
    app = FastAPI(title="ponton review", docs_url=None, redoc_url=None, openapi_url=None)
    User = Annotated[str, Depends(user_name)]

    @app.get("/conflicts", response_class=HTMLResponse)
    def conflicts_page(user: User, done: int | None = None, error: str | None = None) -> str:
        items = open_queue(platform_db())
        return TEMPLATES.get_template("conflicts.html.j2").render(
            items=items, kinds=KIND_TITLES, user=user, done=done, error=error
        )

    @app.post("/conflicts/{conflict_id}", dependencies=[Depends(may_resolve)])
    def resolve(
        request: Request,
        conflict_id: int,
        user: User,
        action: Annotated[str, Form()],
    ) -> RedirectResponse:
        _same_origin(request)
        if action not in ACTIONS:
            raise HTTPException(status_code=422, detail=f"unknown action {action!r}")
        db = platform_db()
        journal = Journal(db, RunContext(dag_id=None, run_id=None, task_id="review page"))
        try:
            resolve_conflict(db, conflict_id, action, journal, by=user)
        except InvalidInputError as exc:
            return RedirectResponse(f"../conflicts?error={quote(str(exc))}", status_code=303)
        return RedirectResponse(f"../conflicts?done={conflict_id}", status_code=303)

    @app.get("/journal", response_class=HTMLResponse)
    def journal_page(user: User, run_id: str | None = None, limit: int = 200) -> str:
        query = sa.select(integration_journal).order_by(integration_journal.c.id.desc())
        if run_id:
            query = query.where(integration_journal.c.run_id == run_id)
        with platform_db().engine.connect() as conn:
            rows = conn.execute(query.limit(min(limit, 1000))).mappings().all()
        return TEMPLATES.get_template("journal.html.j2").render(rows=rows, run_id=run_id, user=user)

    return app
