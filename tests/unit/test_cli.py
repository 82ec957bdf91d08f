import json
import subprocess
import sys

import pytest

from ponton.cli import main
from ponton.cli.journal import parse_since
from ponton.context import RunContext
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform import PlatformDB


def test_db_upgrade_then_status_reports_up_to_date(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", f"sqlite:///{tmp_path / 'p.db'}")
    assert main(["db", "status"]) == 1
    assert "needs `ponton db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "status"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_embedded_default_lives_under_ponton_home(tmp_path, monkeypatch):
    monkeypatch.delenv("PONTON_PLATFORM_DB_URL", raising=False)
    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    assert PlatformDB().url == f"sqlite:///{tmp_path / 'platform.db'}"


def test_journal_tail_prints_table_and_json(platform_env, capsys):
    Journal(platform_env, RunContext("d", "r", "t")).record("ics", "import", object_id="b1")
    Journal(platform_env, RunContext()).record("mail", "send", outcome="error")
    assert main(["journal", "tail", "--integration", "ics"]) == 0
    out = capsys.readouterr().out
    assert "import" in out and "[d.t]" in out and "send" not in out
    assert main(["journal", "tail", "--json", "--outcome", "error"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["integration"], r["outcome"]) for r in rows] == [("mail", "error")]


def test_bad_since_exits_2_with_one_line(platform_env, capsys):
    assert main(["journal", "tail", "--since", "yesterday-ish"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--since 'yesterday-ish'" in err


@pytest.mark.parametrize("text", ["30m", "2h", "3d", "2026-01-01", "2026-01-01T10:00:00+02:00"])
def test_since_accepts_durations_and_iso_dates(text):
    assert parse_since(text).tzinfo is not None


def test_since_rejects_garbage():
    with pytest.raises(InvalidInputError):
        parse_since("soon")


def _modules_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported after ``ponton ARGV``."""
    code = (
        "import sys\n"
        "from ponton.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.strip().splitlines()[-1].split())


def test_help_imports_no_command_module_nor_their_libraries():
    heavy = {"sqlalchemy", "alembic", "requests", "urllib3", "icalendar", "ponton.cli.ics"}
    assert heavy & _modules_after(["--help"]) == set()


def test_a_command_loads_only_its_own_module():
    loaded = {m for m in _modules_after(["docs", "--help"]) if m.startswith("ponton.cli.")}
    assert loaded == {"ponton.cli.docs"}
