"""### ponton calendar channels

Keeps push notifications flowing for Google Calendar and Outlook bindings whose options say
`"push": true`: creates missing Google `events.watch` channels and Graph subscriptions, renews
those past half their lifetime (Google: up to 7 days; Graph: up to 10,080 minutes, or the
binding's `channel_hours`), stops channels of bindings that no longer want push. One mapped task
per binding; every create, renew and stop is journaled.

* **Needs**: the `ponton_platform` connection (optional), each binding's connection
  (`ponton_google_calendar` / `ponton_outlook_calendar`, default ids `google_calendar_default` /
  `outlook_calendar_default`), and the variable `ponton_webhook_base_url` (public HTTPS URL of the
  webhook app, e.g. `https://hooks.example.com/ponton`) as soon as one binding wants push.
* **Schedule**: hourly. Without such bindings the run succeeds with a zero summary.
* **Deadline**: a run unfinished 45 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: safe; each task re-reads its binding and only acts when a channel is missing, old or
  unwanted. A crash between the provider call and the DB commit leaves at most one unused
  channel, which expires on its own (its notifications are dropped as unknown).
"""

from datetime import timedelta

from airflow.sdk import dag, task

from ponton.operators.calendar_channels import CalendarChannelOperator
from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_calendar_channels", timedelta(minutes=45)),
    tags=["ponton", "calendar"],
    description=(
        "Keeps Google Calendar watch channels and Outlook subscriptions of push bindings "
        "alive (create, renew, stop)"
    ),
    doc_md=__doc__,
)
def ponton_calendar_channels():
    @task
    def find_bindings() -> list[int]:
        """Bindings of push-capable providers that want push or still hold a channel."""
        from ponton.calendars.channels import channel_candidates
        from ponton.hooks.platform import PlatformDBHook

        return channel_candidates(PlatformDBHook().ensure_ready())

    reconciled = CalendarChannelOperator.partial(
        task_id="reconcile_channel", map_index_template="binding {{ task.binding_id }}"
    ).expand(binding_id=find_bindings())

    @task(trigger_rule="none_failed")
    def summarize(results) -> dict[str, int]:
        counts = {"bindings": 0, "create": 0, "renew": 0, "stop": 0, "keep": 0}
        for result in results or ():
            counts["bindings"] += 1
            if result and result.get("action") in counts:
                counts[result["action"]] += 1
        return counts

    summarize(reconciled.output)


ponton_calendar_channels()
