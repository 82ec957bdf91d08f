"""Hypothesis state machine: random edits on both sides, then a sync, always converge with nothing
lost — through the real engine, a real SQLite platform DB and the in-memory calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ponton.context import RunContext
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import planning_events, resources
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from tests.conftest import empty_tables
from tests.fakes.memory_calendar import MemoryCalendar

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)
UIDS = [f"p{i}" for i in range(5)]
TEXT = st.sampled_from(["a", "b", "c", "d"])


@pytest.fixture(scope="module")
def machine_db(tmp_path_factory):
    db = PlatformDB(f"sqlite:///{tmp_path_factory.mktemp('convergence') / 'p.db'}")
    db.upgrade()
    SyncMachine.db = db
    yield db
    db.dispose()


class SyncMachine(RuleBasedStateMachine):
    db: PlatformDB
    policy = "platform-wins"

    @initialize()
    def start(self):
        empty_tables(self.db)
        self.binding = add_binding(
            self.db,
            provider="google",
            source="x",
            resource="r",
            direction="both",
            policy=self.policy,
        )
        self.calendar = MemoryCalendar()
        self.journal = Journal(self.db, RunContext())
        self.synced: dict[str, str] = {}  # uid -> summary both sides agreed on at the last sync
        self.platform_pending: dict[str, str | None] = {}  # uid -> new summary, None = deleted
        self.remote_pending: dict[str, str | None] = {}

    def _platform_summary(self, uid):
        with self.db.engine.connect() as conn:
            row = conn.execute(
                sa.select(planning_events.c.summary, planning_events.c.deleted_at).where(
                    planning_events.c.uid == uid
                )
            ).first()
        return None if row is None or row.deleted_at is not None else row.summary

    @rule(uid=st.sampled_from(UIDS), summary=TEXT)
    def platform_create_or_edit(self, uid, summary):
        current = self._platform_summary(uid)
        with self.db.begin() as conn:
            exists = conn.execute(
                sa.select(planning_events.c.id).where(planning_events.c.uid == uid)
            ).first()
            if exists:
                conn.execute(
                    planning_events.update()
                    .where(planning_events.c.uid == uid)
                    .values(summary=summary, deleted_at=None)
                )
            else:
                rid = conn.execute(sa.select(resources.c.id)).scalar_one()
                conn.execute(
                    planning_events.insert().values(
                        uid=uid,
                        resource_id=rid,
                        summary=summary,
                        start_at=NOW + timedelta(days=1),
                        end_at=NOW + timedelta(days=1, hours=1),
                    )
                )
        if summary == self.synced.get(uid):
            self.platform_pending.pop(uid, None)  # back to the synced content: no change
        elif summary != current:
            self.platform_pending[uid] = summary

    @precondition(lambda self: any(u in self.synced for u in UIDS))
    @rule(data=st.data())
    def platform_delete(self, data):
        uid = data.draw(st.sampled_from(sorted(self.synced)))
        with self.db.begin() as conn:
            conn.execute(
                planning_events.update().where(planning_events.c.uid == uid).values(deleted_at=NOW)
            )
        self.platform_pending[uid] = None

    @precondition(lambda self: bool(self.synced))
    @rule(data=st.data(), summary=TEXT)
    def remote_edit(self, data, summary):
        uid = data.draw(st.sampled_from(sorted(self.synced)))
        remote = self.calendar.find(uid)
        if remote is not None and remote.event.summary != summary:
            self.calendar.edit(remote.remote_id, summary=summary)
            if summary == self.synced.get(uid):
                self.remote_pending.pop(uid, None)
            else:
                self.remote_pending[uid] = summary

    @precondition(lambda self: bool(self.synced))
    @rule(data=st.data())
    def remote_delete(self, data):
        uid = data.draw(st.sampled_from(sorted(self.synced)))
        remote = self.calendar.find(uid)
        if remote is not None:
            self.calendar.remove(remote.remote_id)
            self.remote_pending[uid] = None

    def _expected(self, uid):
        p = self.platform_pending.get(uid, "unchanged")
        r = self.remote_pending.get(uid, "unchanged")
        if p == "unchanged":
            return self.synced.get(uid) if r == "unchanged" else r
        if r == "unchanged":
            return p
        if p is None or r is None:
            return p if r is None else r  # edit beats delete (None only when both deleted)
        return p if self.policy == "platform-wins" else r

    @rule()
    def sync(self):
        uids = set(self.synced) | set(self.platform_pending) | set(self.remote_pending)
        expected = {uid: self._expected(uid) for uid in uids}
        run_sync(
            self.db,
            self.binding,
            lambda b: self.calendar,
            journal=self.journal,
            now=NOW,
            allow_mass_delete=True,
        )
        for uid, summary in expected.items():
            remote = self.calendar.find(uid)
            assert self._platform_summary(uid) == summary, (uid, "platform")
            assert (remote.event.summary if remote else None) == summary, (uid, "remote")
        self.synced = {uid: s for uid, s in expected.items() if s is not None}
        self.platform_pending.clear()
        self.remote_pending.clear()
        again = run_sync(
            self.db, self.binding, lambda b: self.calendar, journal=self.journal, now=NOW
        )
        assert again["created"] == again["updated"] == again["deleted"] == 0, again

    @invariant()
    def no_duplicates_remotely(self):
        if not hasattr(self, "calendar"):
            return
        live = [s.remote.platform_uid for s in self.calendar._events.values() if not s.deleted]
        assert len(live) == len(set(live))


class RemoteWinsMachine(SyncMachine):
    policy = "remote-wins"


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("machine", [SyncMachine, RemoteWinsMachine])
def test_random_edits_on_both_sides_converge(machine, machine_db):
    machine.db = machine_db
    case = machine.TestCase
    case.settings = SETTINGS
    case().runTest()
