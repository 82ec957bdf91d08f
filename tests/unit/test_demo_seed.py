from datetime import date

import sqlalchemy as sa

from ponton.cli import main
from ponton.demo.seed import seed
from ponton.platform.schema import planning_events


def test_seed_creates_a_month_of_planning_and_is_idempotent(platform_db):
    first = seed(platform_db, date(2026, 3, 18))
    second = seed(platform_db, date(2026, 3, 18))
    assert first == second
    assert first.resources == 6 and first.missions == 3 and first.notifications == 4
    with platform_db.engine.connect() as conn:
        recurring = conn.execute(
            sa.select(sa.func.count()).where(planning_events.c.recurrence.is_not(None))
        ).scalar_one()
        all_day = conn.execute(
            sa.select(sa.func.count()).where(planning_events.c.all_day.is_(True))
        ).scalar_one()
    assert recurring == 4 and all_day == 3


def test_cli_seed_migrates_an_empty_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", f"sqlite:///{tmp_path / 'p.db'}")
    assert main(["demo", "seed", "--anchor", "2026-03-16"]) == 0
    assert "3 missions" in capsys.readouterr().out
