"""The ``ponton`` command under hostile or mistaken input: one line on stderr and exit 2, never a
traceback, never an empty database created by a read, never a second sync of a busy binding."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.sync import bindings

pytestmark = pytest.mark.integration

READ_COMMANDS = [
    ["journal", "tail"],
    ["bindings", "list"],
    ["conflicts", "list"],
    ["notifications", "status"],
    ["sync", "run", "1"],
]


def fails_in_one_line(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def refused_by_argparse(capsys, argv, needle):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err, err


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=" ".join)
def test_a_read_at_a_mistyped_sqlite_path_creates_nothing(tmp_path, monkeypatch, capsys, argv):
    missing = tmp_path / "typo" / "platfrom.db"
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", f"sqlite:///{missing}")
    fails_in_one_line(capsys, argv, "platfrom.db", "ponton db upgrade")
    assert not missing.exists() and not missing.parent.exists()


def test_db_status_reports_a_missing_file_without_creating_it(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nope.db"
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", f"sqlite:///{missing}")
    assert main(["db", "status"]) == 1
    assert "ponton db upgrade" in capsys.readouterr().out and not missing.exists()


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=" ".join)
def test_an_unmigrated_database_names_the_upgrade(tmp_path, monkeypatch, capsys, argv):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", f"sqlite:///{path}")
    fails_in_one_line(capsys, argv, "not migrated", "ponton db upgrade")


def test_a_database_at_an_unknown_revision_is_refused(platform_env, capsys):
    with platform_env.begin() as conn:
        conn.execute(sa.text("UPDATE ponton_alembic_version SET version_num = 'f00dcafe'"))
    try:
        fails_in_one_line(capsys, ["journal", "tail"], "f00dcafe", "does not know")
        fails_in_one_line(capsys, ["db", "upgrade"], "f00dcafe", "cannot be migrated")
    finally:
        with platform_env.begin() as conn:
            conn.execute(
                sa.text("UPDATE ponton_alembic_version SET version_num = :head"),
                {"head": platform_env.head_revision()},
            )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
        "postgresql://ponton:secret-password@127.0.0.1:5432/no_such_database_here",
    ],
    ids=["unreachable", "no-database"],
)
@pytest.mark.parametrize("argv", [["journal", "tail"], ["db", "status"], ["db", "upgrade"]])
def test_an_unusable_postgresql_is_one_line(monkeypatch, capsys, url, argv):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", url)
    err = fails_in_one_line(capsys, argv, "PONTON_PLATFORM_DB_URL")
    assert "secret-password" not in err


@pytest.mark.parametrize(
    "url", ["mysql://root@127.0.0.1/ponton", "postgresql+asyncpg://u@127.0.0.1/p", "nonsense"]
)
def test_an_unsupported_database_url_names_the_supported_ones(monkeypatch, capsys, url):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", url)
    fails_in_one_line(capsys, ["db", "upgrade"], "sqlite", "postgresql")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ("[1,2]", "JSON object"),
        ('{"past_days": "abc"}', "past_days"),
        ("1e12", "JSON object"),
        ('{"past_days": 1e12}', "past_days"),
        ('{"past_days": 99999999999999999999}', "past_days"),
        ('{"max_delete_share": 7}', "max_delete_share"),
        ('{"past_day": 3}', "past_day"),
        ("{not json", "not JSON"),
    ],
)
def test_bindings_add_refuses_options_outside_the_schema(capsys, options, needle):
    argv = ["bindings", "add", "--provider", "ics", "--source", "f.ics", "--resource", "r"]
    refused_by_argparse(capsys, [*argv, "--options", options], needle)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sync", "run", "99999999999999999999"], "outside"),
        (["sync", "run", "-1"], "outside"),
        (["journal", "tail", "-n", "1e20"], "whole number"),
        (["journal", "tail", "-n", "-5"], "outside"),
        (["journal", "tail", "-n", "99999999999999999999"], "outside"),
        (["notifications", "status", "99999999999999999999"], "outside"),
        (["conflicts", "resolve", "0", "--keep", "remote"], "outside"),
        (["bindings", "add", "--provider", "ics", "--source", "", "--resource", "r"], "empty"),
        (["bindings", "add", "--provider", "ics", "--source", "f", "--resource", " "], "empty"),
    ],
)
def test_out_of_range_arguments_are_usage_errors(capsys, argv, needle):
    refused_by_argparse(capsys, argv, needle)


@pytest.mark.parametrize("since", ["99999999999d", "9" * 5000 + "h"], ids=["overflow", "huge"])
def test_a_since_before_year_one_is_one_line(platform_env, capsys, since):
    fails_in_one_line(capsys, ["journal", "tail", "--since", since], "shorter duration")


def test_valid_options_are_stored_as_given(platform_env, capsys, tmp_path):
    argv = ["bindings", "add", "--provider", "ics", "--source", "f.ics", "--resource", "r"]
    assert main([*argv, "--options", '{"past_days": 30, "push": false}']) == 0
    (binding,) = bindings.list_bindings(platform_env)
    assert binding.options == {"past_days": 30, "push": False}


HOLDER = textwrap.dedent(
    """
    import sys
    from ponton.platform import PlatformDB
    from ponton.sync.lock import binding_lock

    with binding_lock(PlatformDB(sys.argv[1]), int(sys.argv[2])):
        print("held", flush=True)
        sys.stdin.read()
    """
)


def test_a_second_sync_of_a_busy_binding_changes_nothing_and_says_why(
    platform_env, capsys, tmp_path
):
    feed = tmp_path / "f.ics"
    feed.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n")
    binding_id = bindings.add_binding(
        platform_env, provider="ics", source=str(feed), resource="room-1"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, platform_env.url, str(binding_id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        fails_in_one_line(capsys, ["sync", "run", str(binding_id)], "being synced by another run")
    finally:
        holder.communicate("")
    assert main(["sync", "run", str(binding_id)]) == 0
