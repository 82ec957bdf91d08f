"""``ponton ics inspect``: the exact JSON contract, exit codes and one-line errors."""

import json
from datetime import date
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from ponton.cli import main
from tests.fakes.ics_server import IcsServer

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ics"


def inspect(capsys, *args):
    code = main(["ics", "inspect", *map(str, args)])
    out = capsys.readouterr()
    return code, out


def test_json_counts_events_occurrences_and_errors(capsys):
    path = FIXTURES / "recurring_series.ics"
    code, out = inspect(capsys, path, "--json", "--start", "2026-03-01", "--end", "2026-04-15")
    summary = json.loads(out.out)
    expected = recurring_ical_events.of(icalendar.Calendar.from_ical(path.read_bytes())).between(
        date(2026, 3, 1), date(2026, 4, 15)
    )
    assert code == 0
    assert (summary["events"], summary["occurrences"], summary["errors"]) == (3, len(expected), [])


def test_hostile_file_reports_isolated_errors_and_exits_0(capsys):
    code, out = inspect(
        capsys, FIXTURES / "hostile.ics", "--json", "--start", "2026-03-01", "--end", "2026-04-01"
    )
    summary = json.loads(out.out)
    assert code == 0 and summary["events"] == 4 and len(summary["errors"]) == 5


def test_default_window_is_reported(capsys):
    code, out = inspect(capsys, FIXTURES / "all_day.ics", "--json")
    window = json.loads(out.out)["window"]
    assert code == 0 and date.fromisoformat(window["end"]) > date.fromisoformat(window["start"])


@pytest.mark.parametrize("content", [b"", b"not a calendar at all", b"BEGIN:VCALENDAR\r\nBEGIN:"])
def test_unusable_input_exits_2_with_one_line(capsys, tmp_path, content):
    path = tmp_path / "bad.ics"
    path.write_bytes(content)
    code, out = inspect(capsys, path, "--json")
    assert code == 2 and out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err


def test_urls_need_an_allow_listed_loopback_host(capsys, monkeypatch):
    with IcsServer() as server:
        url = server.publish("/secret-token/feed.ics", (FIXTURES / "all_day.ics").read_bytes())
        code, out = inspect(capsys, url, "--json")
        assert code == 2 and "allow" in out.err and "secret-token" not in out.err
        monkeypatch.setenv("PONTON_ICS_ALLOW_HOSTS", "127.0.0.1")
        code, out = inspect(capsys, url, "--json")
    summary = json.loads(out.out)
    assert code == 0 and summary["events"] == 3 and summary["source"] == "http://127.0.0.1"


def test_human_output_lists_errors(capsys):
    code, out = inspect(
        capsys, FIXTURES / "hostile.ics", "--start", "2026-03-01", "--end", "2026-04-01"
    )
    assert code == 0 and "4 events" in out.out and "backwards@test" in out.out
