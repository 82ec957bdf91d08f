"""An operator binds Ana's personal feed with filters: `bindings list` says what they do, and the
next sync does exactly that."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.platform.schema import availability

pytestmark = pytest.mark.integration

FEED = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//filters//EN\r
{events}END:VCALENDAR\r
"""
EVENT = """BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260301T000000Z\r
{when}SUMMARY:{summary}\r
{extra}END:VEVENT\r
"""
TIMED = "DTSTART:20260317T{h:02d}0000Z\r\nDTEND:20260317T{h:02d}3000Z\r\n"


def _feed(tmp_path):
    events = [
        ("client@x", TIMED.format(h=9), "Client Dupont", ""),
        ("yoga@x", TIMED.format(h=10), "Perso: yoga", ""),
        ("family@x", TIMED.format(h=11), "Anniversaire", "CATEGORIES:Famille\r\n"),
        ("maybe@x", TIMED.format(h=12), "Peut-être", "STATUS:TENTATIVE\r\n"),
        ("holiday@x", "DTSTART;VALUE=DATE:20260318\r\nDTEND;VALUE=DATE:20260319\r\n", "Férié", ""),
    ]
    body = "".join(EVENT.format(uid=u, when=w, summary=s, extra=e) for u, w, s, e in events)
    path = tmp_path / "ana.ics"
    path.write_text(FEED.format(events=body), newline="")
    return str(path)


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_filters_listed_by_bindings_list_are_the_ones_the_sync_applies(
    platform_env, capsys, tmp_path
):
    options = {
        "skip_all_day": True,
        "skip_tentative": True,
        "exclude_title": "^perso",
        "exclude_categories": ["famille"],
        "busy_only": True,
    }
    code, out, _ = _cli(
        capsys, "bindings", "add", "--provider", "ics", "--source", _feed(tmp_path),
        "--resource", "ana", "--options", json.dumps(options),
    )  # fmt: skip
    assert code == 0
    binding = out.strip()
    _code, listed, _ = _cli(capsys, "bindings", "list", "--json")
    (row,) = json.loads(listed)
    assert row["filters"] == (
        "skips declined, free and cancelled; skips tentative; skips all-day; "
        "not titles matching /^perso/; not categories famille; busy only"
    )
    code, out, err = _cli(capsys, "sync", "run", binding, "--json")
    assert code == 0, err
    with platform_env.engine.connect() as conn:
        blocks = conn.execute(sa.select(availability.c.start_at, availability.c.note)).all()
    assert [(b.start_at.hour, b.note) for b in blocks] == [(9, None)]  # only the client, no title


def test_a_wrong_filter_option_is_refused_at_bindings_add(platform_env, capsys, tmp_path):
    code, _out, err = _cli(
        capsys, "bindings", "add", "--provider", "ics", "--source", _feed(tmp_path),
        "--resource", "ana", "--options", '{"exclude_title": "(unclosed"}',
    )  # fmt: skip
    assert code == 2
    assert "exclude_title" in err and "regular expression" in err
    _code, listed, _ = _cli(capsys, "bindings", "list", "--json")
    assert json.loads(listed) == []
