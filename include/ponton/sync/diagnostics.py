"""What a calendar's last listing had to leave out or make up, journaled for its binding."""

from __future__ import annotations

from ponton.journal import Journal
from ponton.sync.port import ParseDiagnostics, RemoteCalendar


def journal_diagnostics(
    calendar: RemoteCalendar, binding_id: int, journal: Journal, integration: str
) -> int:
    """One journal row for the components the listing isolated (``rejected_components``) and
    one for the UIDs it derived (``derived_uids``), each naming up to 50; returns how many
    components were rejected. Calendars that parse nothing (APIs) report nothing."""
    if not isinstance(calendar, ParseDiagnostics):
        return 0
    rejected = calendar.rejected_components()
    for action, outcome, key, items in (
        ("rejected_components", "skipped", "errors", rejected),
        ("derived_uids", "changed", "uids", calendar.derived_uids()),
    ):
        if items:
            journal.record(
                integration,
                action,
                outcome=outcome,
                object_type="binding",
                object_id=binding_id,
                details={"count": len(items), key: items[:50]},
            )
    return len(rejected)
