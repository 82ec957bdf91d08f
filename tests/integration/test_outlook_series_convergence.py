"""The series state machine of ``test_series_convergence`` against Outlook (the Graph fake,
through ponton's Graph session): occurrence-level edits on both sides converge.

Graph holds an occurrence three ways: plain (what the master says), an exception (moved or
edited) or deleted, and a deleted occurrence keeps nothing but its original start. So both sides
are compared with a cancelled occurrence reduced to (original start, "", CANCELLED), and an
occurrence cancelled on either side is not edited again: Graph cannot restore it (ponton refuses
that write, see docs/integrations/outlook.md), nor is one edited on the platform while Outlook
deletes it when the platform's version is to win.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import precondition, rule

from ponton.model import moment_key, parse_moment_key, split_key
from tests.fakes.graph_fixtures import outlook_backend_for
from tests.fakes.graph_render import instant
from tests.integration.test_series_convergence import (
    SETTINGS,
    SHIFT,
    TEXT,
    UID,
    WEEKS,
    Content,
    SeriesMachine,
    key,
    replay,
    week,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SPAN = (week(0) - timedelta(days=7), week(len(WEEKS)) + timedelta(days=7))


def _graph_time(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "UTC",
    }


def _original(row: dict) -> str:
    return moment_key(datetime.fromisoformat(row["originalStart"].replace("Z", "+00:00")))


def reduced(view: dict[str, Content]) -> dict[str, Content]:
    """What Outlook can show: a cancelled occurrence as its original start and nothing else, and
    a series whose every occurrence is cancelled as nothing (calendarView lists it no more)."""
    if all(view.get(key(n), (None, None, ""))[2] == "CANCELLED" for n in WEEKS):
        return {}
    return {
        k: (parse_moment_key(split_key(k)[1]), "", "CANCELLED") if v[2] == "CANCELLED" else v
        for k, v in view.items()
    }


class GraphRemote:
    """One mailbox of the Graph fake, edited as a person does in Outlook."""

    fake = None
    ids = itertools.count()

    def __init__(self) -> None:
        self.mailbox = f"series-{next(self.ids)}@contoso.example"
        self.calendar = outlook_backend_for(self.fake, self.mailbox)

    def _master(self) -> dict | None:
        found = [e for e in self.fake.events(self.mailbox) if e.get("type") == "seriesMaster"]
        return found[0] if found else None

    def _instances(self) -> dict[str, dict]:
        rows = self.fake.instances(self.mailbox, self._master()["id"], *SPAN)
        return {_original(row): row for row in rows}

    def put(self, n: int | None, content: Content) -> None:
        start, summary, status = content
        if n is None:
            self.fake.edit(self.mailbox, self._master()["id"], subject=summary)
            return
        row = self._instances()[moment_key(week(n))]
        if status == "CANCELLED":
            self.fake.remove(self.mailbox, row["id"])
            return
        self.fake.edit(
            self.mailbox,
            row["id"],
            subject=summary,
            start=_graph_time(start),
            end=_graph_time(start + timedelta(hours=1)),
        )

    def delete_series(self) -> None:
        self.fake.remove(self.mailbox, self._master()["id"])

    def snapshot(self) -> dict[str, Content]:
        master = self._master()
        if master is None:
            return {}
        found = {UID: (instant(master["start"]), master["subject"], "CONFIRMED")}
        listed = self._instances()
        for n in WEEKS:
            row = listed.get(moment_key(week(n)))
            if row is None:
                found[key(n)] = (week(n), "", "CANCELLED")
            elif row["type"] == "exception":
                found[key(n)] = (instant(row["start"]), row["subject"], "CONFIRMED")
        return reduced(found)


class GraphSeriesMachine(SeriesMachine):
    def open_remote(self):
        return GraphRemote()

    def _expected(self, k: str) -> Content | None:
        keys = {k, *(key(n) for n in WEEKS)}
        expected = {
            c: found for c in keys if (found := super(GraphSeriesMachine, self)._expected(c))
        }
        return reduced(expected).get(k)

    @rule()
    def sync(self):
        super().sync()
        self.alive = self.alive and bool(self.synced)

    def _platform(self) -> dict[str, Content]:
        return reduced(super()._platform())

    def _cancelled(self, n: int) -> bool:
        return any(
            (self._current(side, key(n)) or (None, None, ""))[2] == "CANCELLED"
            for side in ("platform", "remote")
        )

    @precondition(lambda self: self.alive)
    @rule(
        side=st.sampled_from(["platform", "remote"]),
        n=st.sampled_from(WEEKS),
        shift=SHIFT,
        summary=TEXT,
    )
    def move_or_edit_one_occurrence(self, side, n, shift, summary):
        if not self._cancelled(n):  # Graph cannot give a deleted occurrence back
            super().move_or_edit_one_occurrence(side, n, shift, summary)

    @precondition(lambda self: self.alive)
    @rule(side=st.sampled_from(["platform", "remote"]), n=st.sampled_from(WEEKS))
    def cancel_one_occurrence(self, side, n):
        # A deletion in Outlook that the platform's edit is to win over cannot be undone either.
        wins_over = side == "remote" and self.policy == "platform-wins"
        if not self._cancelled(n) and not (wins_over and key(n) in self.pending["platform"]):
            super().cancel_one_occurrence(side, n)


class RemoteWinsGraphSeriesMachine(GraphSeriesMachine):
    policy = "remote-wins"


@pytest.mark.parametrize("machine", [GraphSeriesMachine, RemoteWinsGraphSeriesMachine])
def test_occurrence_edits_on_both_sides_converge_on_outlook(machine, machine_db, graph_fake):
    GraphRemote.fake = graph_fake
    machine.db = machine_db
    case = machine.TestCase
    case.settings = settings(SETTINGS, max_examples=15, stateful_step_count=10)
    case().runTest()


def test_an_edit_of_the_series_in_outlook_keeps_its_exceptions(machine_db, graph_fake):
    """Found by the machine: the fake dropped a series' exceptions when its master was edited
    (Graph keeps them: an exception is changed only through its own id)."""
    GraphRemote.fake = graph_fake
    GraphSeriesMachine.db = machine_db
    replay(
        GraphSeriesMachine,
        ("move_or_edit_one_occurrence", {"n": 0, "shift": 0, "side": "remote", "summary": "a"}),
        ("edit_the_series", {"side": "platform", "summary": "b"}),
        ("sync", {}),
    )


def test_a_series_with_every_occurrence_cancelled_is_not_taken_as_deleted(machine_db, graph_fake):
    """Found by the machine: calendarView lists a series only through its live occurrences, so
    once all of them were cancelled the next full listing read the series as deleted in Outlook
    (the mass-delete guard stopped it)."""
    GraphRemote.fake = graph_fake
    RemoteWinsGraphSeriesMachine.db = machine_db
    replay(
        RemoteWinsGraphSeriesMachine,
        ("cancel_one_occurrence", {"n": 3, "side": "platform"}),
        ("sync", {}),
        ("cancel_one_occurrence", {"n": 1, "side": "platform"}),
        ("cancel_one_occurrence", {"n": 2, "side": "remote"}),
        ("cancel_one_occurrence", {"n": 0, "side": "platform"}),
        ("sync", {}),
    )


def test_a_platform_cancel_after_an_unrecorded_exception_write_reaches_outlook(
    machine_db, graph_fake
):
    """Found by the machine: an exception PATCHed by a run that stopped before recording it,
    then cancelled on the platform, came back as an Outlook edit (remote wins) and undid the
    cancellation."""
    GraphRemote.fake = graph_fake
    RemoteWinsGraphSeriesMachine.db = machine_db
    replay(
        RemoteWinsGraphSeriesMachine,
        ("move_or_edit_one_occurrence", {"n": 0, "shift": 0, "side": "platform", "summary": "a"}),
        ("sync_interrupted_after_the_remote_writes", {}),
        ("cancel_one_occurrence", {"n": 0, "side": "platform"}),
        ("sync", {}),
    )
