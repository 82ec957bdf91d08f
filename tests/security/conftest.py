"""Clients of the webhook app for the abuse suite: one on the real platform DB (SQLite and
PostgreSQL), one whose database is unreachable so any access shows up as a 5xx."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from ponton.webhooks import create_app, inbox
from tests.fakes.sendgrid_api import FakeSendGrid


@pytest.fixture
def client(platform_env):
    inbox.platform_db.cache_clear()
    yield TestClient(create_app(), raise_server_exceptions=False)
    inbox.platform_db.cache_clear()


@pytest.fixture
def sendgrid(monkeypatch):
    with FakeSendGrid() as fake:
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(fake.webhook_keys()))
        yield fake
