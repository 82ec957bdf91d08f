"""### ponton mail reconcile

Brings delivery statuses back into the notifications log: pulls status events from the provider
since the stored cursor (`kv_cursors`), then folds the SendGrid/Postmark webhook posts stored by
the receiver (`/ponton/webhooks/sendgrid`, `/ponton/webhooks/postmark`). Each notification shows
the latest status by event time, not by arrival; every event lands in `notification_events`.
Each task journals a summary. Statuses: `ponton notifications status [ID]`.

* **Needs**: the `ponton_mail` connection (status pull needs Postmark, or SendGrid with the Email
  Activity API; SMTP and local capture skip it) and optionally `ponton_platform`.
* **Schedule**: every 15 minutes.
* **Deadline**: a run unfinished 30 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: safe; events are deduplicated by provider event id and folding is idempotent.
"""

from datetime import timedelta

from airflow.sdk import dag

from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args
from ponton.operators.mail import FoldMailWebhooksOperator, PullMailStatusesOperator


@dag(
    schedule="*/15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_mail_reconcile", timedelta(minutes=30)),
    tags=["ponton", "mail"],
    description=(
        "Folds delivery, bounce and open events of sent mail back into notification statuses"
    ),
    doc_md=__doc__,
)
def ponton_mail_reconcile():
    pull = PullMailStatusesOperator(task_id="pull_provider_statuses")
    # The inbox holds what the provider pushed: fold it even when the pull failed.
    webhooks = FoldMailWebhooksOperator(task_id="fold_webhook_inbox", trigger_rule="all_done")
    pull >> webhooks


ponton_mail_reconcile()
