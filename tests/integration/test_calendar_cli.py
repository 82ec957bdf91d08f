"""``ponton bindings|sync|conflicts`` against a real platform DB and the in-memory calendar."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.platform.schema import planning_events, resources
from ponton.sync import adapters
from tests.fakes.memory_calendar import MemoryCalendar

pytestmark = pytest.mark.integration


@pytest.fixture
def memory_provider(monkeypatch):
    """Route the google provider to one shared in-memory calendar, through the real registry."""
    calendar = MemoryCalendar()
    monkeypatch.setitem(adapters.FACTORIES, "google", _open)
    monkeypatch.setattr("tests.integration.test_calendar_cli._CALENDAR", calendar, raising=False)
    return calendar


_CALENDAR = None


def _open(binding, resolver):
    return _CALENDAR


def two_way_binding_with_one_event(db, capsys) -> str:
    """A two-way google binding for resource "ana", whose planning holds event p1 tomorrow."""
    args = ["bindings", "add", "--provider", "google", "--source", "primary"]
    assert main([*args, "--resource", "ana", "--direction", "both"]) == 0
    binding = capsys.readouterr().out.strip()
    now = datetime.now(UTC)
    with db.begin() as conn:
        rid = conn.execute(sa.select(resources.c.id)).scalar_one()
        conn.execute(
            planning_events.insert().values(
                uid="p1",
                resource_id=rid,
                summary="Atelier",
                start_at=now + timedelta(days=1),
                end_at=now + timedelta(days=1, hours=1),
            )
        )
    return binding


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_bindings_add_creates_the_resource_and_lists_it(platform_env, capsys):
    assert (
        main(
            [
                "bindings",
                "add",
                "--provider",
                "google",
                "--source",
                "primary",
                "--resource",
                "new.person",
                "--direction",
                "both",
            ]
        )
        == 0
    )
    binding_id = int(capsys.readouterr().out)
    rows = run_json(capsys, "bindings", "list", "--json")
    assert [(r["id"], r["resource"], r["direction"]) for r in rows] == [
        (binding_id, "new.person", "both")
    ]
    with platform_env.engine.connect() as conn:
        assert conn.execute(sa.select(resources.c.key)).scalars().all() == ["new.person"]


def test_ics_binding_must_be_import_only(platform_env, capsys):
    code = main(
        [
            "bindings",
            "add",
            "--provider",
            "ics",
            "--source",
            "x.ics",
            "--resource",
            "r",
            "--direction",
            "both",
        ]
    )
    assert code == 2 and "read-only" in capsys.readouterr().err


def test_sync_run_json_then_conflict_resolution_round_trip(platform_env, memory_provider, capsys):
    binding = two_way_binding_with_one_event(platform_env, capsys)
    dry = run_json(capsys, "sync", "run", binding, "--dry-run", "--json")
    assert dry["created"] == 1 and memory_provider.find("p1") is None
    first = run_json(capsys, "sync", "run", binding, "--json")
    assert {k: first[k] for k in ("created", "updated", "deleted", "unchanged", "conflicts")} == {
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "conflicts": 0,
    }
    memory_provider.edit(memory_provider.find("p1").remote_id, summary="remote")
    with platform_env.begin() as conn:
        conn.execute(planning_events.update().values(summary="platform"))
    assert run_json(capsys, "sync", "run", binding, "--json")["conflicts"] == 1
    (conflict,) = run_json(capsys, "conflicts", "list", "--json")
    assert main(["conflicts", "resolve", str(conflict["id"]), "--keep", "remote"]) == 0
    assert "next sync run" in capsys.readouterr().out
    after = run_json(capsys, "sync", "run", binding, "--json")
    assert after["platform_updated"] == 1
    with platform_env.engine.connect() as conn:
        assert conn.execute(sa.select(planning_events.c.summary)).scalar_one() == "remote"
    assert run_json(capsys, "conflicts", "list", "--json") == []
    assert main(["conflicts", "resolve", str(conflict["id"]), "--keep", "remote"]) == 2


def test_keep_platform_pushes_the_platform_version(platform_env, memory_provider, capsys):
    binding = two_way_binding_with_one_event(platform_env, capsys)
    run_json(capsys, "sync", "run", binding, "--json")
    memory_provider.edit(memory_provider.find("p1").remote_id, summary="remote")
    with platform_env.begin() as conn:
        conn.execute(planning_events.update().values(summary="platform"))
    run_json(capsys, "sync", "run", binding, "--json")
    (conflict,) = run_json(capsys, "conflicts", "list", "--json")
    main(["conflicts", "resolve", str(conflict["id"]), "--keep", "platform"])
    capsys.readouterr()
    assert run_json(capsys, "sync", "run", binding, "--json")["remote_updated"] == 1
    assert memory_provider.find("p1").event.summary == "platform"


def test_unknown_provider_adapter_is_a_clear_error(platform_env, capsys, monkeypatch):
    monkeypatch.delitem(adapters.FACTORIES, "outlook")  # an installation without that backend
    main(
        [
            "bindings",
            "add",
            "--provider",
            "outlook",
            "--source",
            "x",
            "--resource",
            "r",
            "--direction",
            "both",
        ]
    )
    binding = capsys.readouterr().out.strip()
    assert main(["sync", "run", binding, "--json"]) == 2
    assert "no backend for provider 'outlook'" in capsys.readouterr().err


def test_a_refused_event_is_listed_with_its_reason(platform_env, memory_provider, capsys):
    memory_provider.unwritable = "Atelier"
    binding = two_way_binding_with_one_event(platform_env, capsys)
    assert run_json(capsys, "sync", "run", binding, "--json")["refused"] == 1
    assert main(["conflicts", "list"]) == 0
    line = capsys.readouterr().out.strip()
    assert "refused" in line and "'Atelier' refused by the remote: p1: unwritable" in line
