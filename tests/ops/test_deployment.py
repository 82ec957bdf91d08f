"""The Dockerfile and docker-compose.yaml, checked structurally (no Docker on this machine): the
image matches the pinned Airflow, every COPY source exists, and the compose stack has the
production-like components wired to PostgreSQL, Redis and the Celery executor."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

COMPONENTS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_image_is_the_pinned_airflow_on_python_311():
    dockerfile = (ROOT / "Dockerfile").read_text()
    [tag] = re.findall(r"^FROM apache/airflow:(\S+)", dockerfile, re.M)
    [pin] = re.findall(r"^apache-airflow==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert tag == f"{pin}-python3.11"


def test_every_copy_source_exists_and_the_runtime_marker_is_there():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY"):
            *sources, _target = [p for p in line.split()[1:] if not p.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY source {source} missing"
    marker = re.search(r"sed '/\^(.+?)/,\$d'", dockerfile).group(1)
    assert marker in (ROOT / "requirements.txt").read_text().splitlines()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".venv" in ignored and ".git" in ignored


def test_compose_runs_every_airflow_component_on_the_ponton_image(compose):
    services = compose["services"]
    for name, command in COMPONENTS.items():
        service = services[name]
        assert service["command"] == command, name
        assert service["build"] == "." and service["image"] == "ponton-airflow:latest", name
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert env["PONTON_PLATFORM_DB_URL"].startswith("postgresql+psycopg://"), name
        assert "airflow-apiserver" in env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"], name
        assert set(service["depends_on"]) >= {"postgres", "redis"}, name


def test_compose_migrates_both_databases_before_the_components_start(compose):
    services = compose["services"]
    assert "airflow db migrate" in services["airflow-init"]["command"][-1]
    assert "ponton db upgrade" in services["airflow-init"]["command"][-1]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        assert services[name]["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "CREATE DATABASE platform" in compose["configs"]["platform-db"]["content"]


def test_compose_holds_no_secret_literal(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${")
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${")
    assert not any(key.startswith("AIRFLOW_CONN_") for key in env)
