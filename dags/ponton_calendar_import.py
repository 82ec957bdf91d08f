"""### ponton calendar import

Two-way sync of every enabled calendar binding (ICS feeds, CalDAV, Google Calendar, Outlook) with
the platform's planning: one mapped task per binding lists the calendar's changes, plans creates,
updates and deletes on both sides, applies them, queues or settles conflicts by the binding's
policy, turns foreign events into busy blocks and records double bookings. Every action is in the
journal (`ponton journal tail --integration calendar`).

* **Needs**: bindings (`ponton bindings add ...`); each binding's `conn_id` connection for private
  feeds, CalDAV, Google or Outlook credentials; optionally `ponton_platform`.
* **Schedule**: every 15 minutes, and at once when a calendar webhook updates the
  `ponton_calendar_changes` asset.
* **Params**: `dry_run` (plan only), `allow_mass_delete` (override the mass-delete guard).
  To dry-run a *paused* DAG, trigger it with "Unpause on trigger" unticked (or run
  `ponton sync run BINDING --dry-run`): unpausing lets the scheduler start a real sync first.
* **Reading a run**: each mapped task is labelled with its binding (provider → resource), "(dry
  run)" and "· N to review" when conflicts or refused events wait; its log holds one paragraph of
  what it did. The `needs_review` task is green when nothing waits for a person and *skipped*
  (pink) when something does: open the ponton Conflicts page (docs/monitoring.md).
* **Deadline**: a run unfinished 30 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: safe. A rerun re-lists from the last saved cursor; applied changes are recognised by
  their hashes and remote creates are keyed by the platform uid, so nothing is duplicated.
"""

from datetime import timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from ponton.operators.calendar import (
    CalendarSyncOperator,
    enabled_binding_ids,
    flag_review_queue,
)
from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args
from ponton.sync import CALENDAR_CHANGES_ASSET

CALENDAR_CHANGES = Asset(name=CALENDAR_CHANGES_ASSET)


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/15 * * * *", timezone="UTC"), assets=[CALENDAR_CHANGES]
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_calendar_import", timedelta(minutes=30)),
    params={
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Plan only: list what would change on each side, write nothing. On a "
            "paused DAG, untick 'Unpause on trigger' or a real scheduled sync starts first.",
        ),
        "allow_mass_delete": Param(
            False,
            type="boolean",
            title="Allow mass delete",
            description="Let this run delete more than the binding's max_delete_share (default "
            "50 %) of its synced events. Leave off unless a calendar was emptied on purpose.",
        ),
    },
    description="Two-way sync of every calendar binding (ICS, CalDAV, Google, Outlook) with the "
    "platform's planning; conflicts queued for a person",
    tags=["ponton", "calendar"],
    doc_md=__doc__,
)
def ponton_calendar_import():
    @task
    def list_bindings() -> list[int]:
        return enabled_binding_ids()

    @task
    def needs_review() -> dict:
        return flag_review_queue()

    syncs = CalendarSyncOperator.partial(
        task_id="sync_binding",
        dry_run="{{ params.dry_run }}",
        allow_mass_delete="{{ params.allow_mass_delete }}",
        map_index_template="{{ ponton_label | default('binding ' ~ task.binding_id) }}",
    ).expand(binding_id=list_bindings())
    syncs >> needs_review()


ponton_calendar_import()
