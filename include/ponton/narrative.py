"""What a task did, told in one paragraph a person reads in the task log.

The journal keeps every action for audit; the log says, once per task, what changed and what now
needs a person, with the command or page that shows the rest. Summaries for XCom drop the zeros
so the counts that remain are the ones worth reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PROVIDERS = {
    "ics": "ICS feed",
    "caldav": "CalDAV calendar",
    "google": "Google Calendar",
    "outlook": "Outlook calendar",
}
QUEUE_KINDS = {
    "edit_edit": "edit conflict",
    "double_booking": "double booking",
    "refused": "refused event",
}
REVIEW_HINT = "review them on the ponton Conflicts page in Airflow or with `ponton conflicts list`"


def binding_title(binding_id: int, provider: str, resource_key: str) -> str:
    """``binding 2 (ICS feed → bruno.leroy)``: what the binding is, never its (secret) source."""
    return f"binding {binding_id} ({PROVIDERS.get(provider, provider)} → {resource_key})"


def compact(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary without zero, empty or false entries (a dry run keeps its flag)."""
    return {k: v for k, v in summary.items() if v not in (0, None, False, "", [], {}, ())}


def _counts(pairs: Iterable[tuple[int, str]]) -> str:
    """``3 created, 1 busy block``: the non-zero counts; a label ``"busy block|busy blocks"``
    gives its plural after the bar."""

    def label(n: int, text: str) -> str:
        singular, _, plural = text.partition("|")
        return plural if n != 1 and plural else singular

    return ", ".join(f"{n} {label(n, text)}" for n, text in pairs if n)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def sync_paragraph(
    summary: Mapping[str, Any], *, title: str, queue: Iterable[tuple[int, str]] = ()
) -> str:
    """One sync run: what changed on each side, what was queued, what waits for a person.

    ``queue`` is every open conflict/refusal of the binding as (id, kind), new or older.
    """
    get = summary.get
    dry = bool(get("dry_run"))
    changed = _counts(
        (
            (get("created", 0), "created"),
            (get("updated", 0), "updated"),
            (get("deleted", 0), "deleted"),
        )
    )
    doubles = get("double_bookings", 0)
    edits = max(get("conflicts", 0) - doubles, 0)
    queued = _counts(
        ((edits, "edit conflict|edit conflicts"), (doubles, "double booking|double bookings"))
    )
    parts = [
        f"{title}: "
        + ("DRY RUN, nothing written; would have " if dry else "")
        + (changed or "nothing to change"),
        f"{_plural(get('conflicts', 0), 'item')} queued for review"
        + (f" ({queued})" if queued else "")
        + f", {get('refused', 0)} refused",
    ]
    extra = _counts(
        (
            (get("busy_blocks", 0), "busy block|busy blocks"),
            (get("replies", 0), "invitation reply|invitation replies"),
            (get("rejected", 0), "unreadable component skipped|unreadable components skipped"),
        )
    )
    if extra:
        parts.append(extra)
    waiting = sorted(queue)
    if waiting:
        listed = ", ".join(f"#{i} {QUEUE_KINDS.get(kind, kind)}" for i, kind in waiting)
        needs = f"Needs a person: {listed}; {REVIEW_HINT}"
    else:
        needs = "Nothing needs a person"
    if dry:
        needs += "; the plan is in this task's XCom (`plan`)"
    return "; ".join(parts) + f". {needs}. Journal: `ponton journal tail --integration calendar`."


def generic_paragraph(what: str, summary: Any, *, needs: str = "") -> str:
    """Any other task: the non-zero counts in words (or the list it returns), and what needs a
    person if anything."""
    if isinstance(summary, list | tuple):
        listed = ", ".join(str(item) for item in summary[:20])
        more = f" and {len(summary) - 20} more" if len(summary) > 20 else ""
        done = f"{what}: {len(summary)} found" + (f" ({listed}{more})" if summary else "")
        return f"{done}. {needs or 'Nothing needs a person'}."
    counts = ", ".join(
        f"{key.replace('_', ' ')} {value}"
        for key, value in compact(summary).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    )
    done = f"{what}: {counts}" if counts else f"{what}: nothing to do"
    return f"{done}. {needs or 'Nothing needs a person'}."
