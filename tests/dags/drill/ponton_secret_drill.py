"""### ponton secret drill (tests only)

Reads every kind of secret ponton knows the way the real DAGs do (through the ponton hooks, the
connection resolver of the domain's adapters, the channel token generator) and logs it carelessly
on purpose, then syncs two private ICS feeds (one of them missing) so the journal gets rows and an
error. tests/dags/test_secret_masking.py asserts no secret reached the task logs or the journal.

* **Needs**: the connections set by the test.
* **Rerun**: safe; it writes only journal rows and planning from the test's feed.
"""

import logging
import os

from airflow.sdk import dag, task

from ponton.operators.calendar import CalendarSyncOperator
from ponton.operators.defaults import START_DATE, default_args

log = logging.getLogger("airflow.task")

# (hook class path, connection id): every ponton hook that reads a secret.
THROUGH_HOOKS = (
    ("ponton.hooks.google_calendar.GoogleCalendarHook", "google_calendar_default"),
    ("ponton.hooks.gdrive_storage.GoogleDriveStorageHook", "ponton_storage_gdrive"),
    ("ponton.hooks.outlook_calendar.OutlookCalendarHook", "outlook_calendar_default"),
    ("ponton.hooks.sharepoint_storage.SharePointStorageHook", "ponton_storage_sharepoint"),
    ("ponton.hooks.s3_storage.S3StorageHook", "ponton_storage_s3"),
    ("ponton.hooks.platform.PlatformDBHook", "ponton_platform"),
    ("ponton.hooks.smtp_mail.SmtpMailHook", "ponton_mail_smtp"),
    ("ponton.hooks.sendgrid_mail.SendGridMailHook", "ponton_mail_sendgrid"),
    ("ponton.hooks.postmark_mail.PostmarkMailHook", "ponton_mail_postmark"),
    ("ponton.hooks.mail_webhooks.MailWebhooksHook", "ponton_mail_webhooks"),
)
# Read through AirflowConnectionResolver, as the ICS/CalDAV adapters (and the mail provider) do.
THROUGH_RESOLVER = (
    "aws_default",
    "ponton_mail_smtp",
    "ponton_mail_sendgrid",
    "ponton_mail_postmark",
    "ponton_mail_webhooks",
)


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=0),
    tags=["ponton", "test"],
    doc_md=__doc__,
)
def ponton_secret_drill():
    @task
    def read_through_hooks() -> int:
        import importlib

        for path, conn_id in THROUGH_HOOKS:
            module, _, name = path.rpartition(".")
            cls = getattr(importlib.import_module(module), name)
            conn = cls(**{cls.conn_name_attr: conn_id}).get_connection(conn_id)
            log.info("%s password=%s extra=%s", conn_id, conn.password, conn.extra_dejson)
            for key, value in conn.extra_dejson.items():
                log.info("%s extra %s = %s", conn_id, key, value)
        return len(THROUGH_HOOKS)

    @task
    def read_through_resolver() -> int:
        from ponton.hooks.connections import AirflowConnectionResolver

        for conn_id in THROUGH_RESOLVER:
            info = AirflowConnectionResolver().get(conn_id)
            log.info(
                "%s login=%s password=%s extra=%s", conn_id, info.login, info.password, info.extra
            )
        return len(THROUGH_RESOLVER)

    @task
    def new_webhook_token() -> int:
        from ponton.hooks.masking import new_channel_token

        token = new_channel_token()
        log.info("channel token %s", token)
        with open(os.environ["PONTON_DRILL_TOKEN_FILE"], "w") as out:
            out.write(token)  # a side channel for the test only
        return 1

    read_through_hooks()
    read_through_resolver()
    new_webhook_token()
    CalendarSyncOperator.partial(task_id="sync_private_feed").expand(binding_id=[1, 2])


ponton_secret_drill()
