"""### ponton calendar publish

Publishes the platform's planning as ICS feeds — one per resource (`feeds/resources/<key>.ics`)
and one per mission (`feeds/missions/<code>.ics`) — through the storage backends, so people can
subscribe to them from Google Calendar, Outlook or any calendar app. Feeds are RFC 5545 with a
VTIMEZONE per zone, stable UIDs and each event's SEQUENCE; a private event shows as "Busy" only.
Each resource also gets its busy time, without any detail, as a free/busy feed
(`feeds/freebusy/<key>.ifb`, VFREEBUSY) and a busy-only event feed (`feeds/busy/<key>.ics`).

* **Needs**: the Variable `ponton_storage_conn_ids` (default `ponton_storage_local`, the folder
  `$PONTON_HOME/storage`); optionally `ponton_platform`. Expose the folder or bucket over HTTPS to
  let calendar apps subscribe (see `docs/integrations/ics.md`).
* **Schedule**: every 30 minutes.
* **Deadline**: a run unfinished 25 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: always safe. Feeds are reproducible: unchanged planning gives identical bytes and
  nothing is uploaded.
"""

from datetime import timedelta

from airflow.sdk import dag

from ponton.operators.calendar import PublishCalendarFeedsOperator
from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args


@dag(
    schedule="*/30 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_calendar_publish", timedelta(minutes=25)),
    tags=["ponton", "calendar", "ics"],
    description=(
        "Publishes one ICS feed per resource and mission to the storage backends, "
        "skipped when unchanged"
    ),
    doc_md=__doc__,
)
def ponton_calendar_publish():
    PublishCalendarFeedsOperator(
        task_id="publish_feeds",
        storage_conn_ids="{{ var.value.get('ponton_storage_conn_ids', 'ponton_storage_local') }}",
    )


ponton_calendar_publish()
