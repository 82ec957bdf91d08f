"""### ponton mail dispatch

Sends the pending rows of `notifications` through the shared mail provider: each row is locked
(`FOR UPDATE SKIP LOCKED` on PostgreSQL), committed as `sending` with this attempt's id, handed to
the provider, and its receipt stored. Invalid addresses and permanent refusals end as `failed`
with the reason; transient errors fail the try so Airflow retries with backoff. Every outcome is in
the journal (`ponton journal tail --integration mail`).

* **Needs**: the `ponton_mail` connection (`ponton_smtp`, `ponton_sendgrid`, `ponton_postmark`, or
  `ponton_local_mail` to capture `.eml` files; a connection that cannot be resolved fails the task
  and nothing is sent) and optionally `ponton_platform`. See `docs/integrations/mail.md`.
* **Schedule**: every 5 minutes.
* **Deadline**: a run unfinished 10 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: safe. A notification is never sent twice: a try that finds rows left `sending` by an
  earlier try asks the provider whether they went out; where it cannot tell (plain SMTP) the row
  is flagged `review` (`ponton notifications status --status review`) instead of being resent.
"""

from datetime import timedelta

from airflow.sdk import dag

from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args
from ponton.operators.mail import MailDispatchOperator


@dag(
    schedule="*/5 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_mail_dispatch", timedelta(minutes=10)),
    tags=["ponton", "mail"],
    description=(
        "Sends pending platform notifications through the mail provider, each at most once"
    ),
    doc_md=__doc__,
)
def ponton_mail_dispatch():
    MailDispatchOperator(task_id="send_pending_notifications", limit=100)


ponton_mail_dispatch()
