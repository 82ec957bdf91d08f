"""Operators of the two mail DAGs: dispatch pending notifications, fold statuses back."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator


class _MailOperator(PontonOperator):
    template_fields = ("mail_conn_id", "platform_conn_id")

    def __init__(
        self,
        *,
        mail_conn_id: str = "ponton_mail",
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mail_conn_id = mail_conn_id
        self.platform_conn_id = platform_conn_id

    def _platform(self):
        from ponton.hooks.platform import PlatformDBHook

        return PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()

    def _provider(self):
        from ponton.hooks.mail import get_mail_provider

        return get_mail_provider(self.mail_conn_id)


class MailDispatchOperator(_MailOperator):
    """Sends up to ``limit`` pending notifications, each at most once (see
    :mod:`ponton.mail.dispatch`). A transient provider error fails the try after journaling it,
    so Airflow retries with backoff; the retry first settles what the failed try left behind."""

    template_fields = (*_MailOperator.template_fields, "limit")

    def __init__(self, *, limit: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.journal import Journal
        from ponton.mail.dispatch import dispatch_pending

        db = self._platform()
        provider = self._provider()
        summary = dispatch_pending(
            db, provider, Journal(db, journal_context), limit=int(self.limit)
        )
        result = summary.as_dict()
        if provider.name == "local":
            result["folder"] = str(provider.folder)
        return result


class PullMailStatusesOperator(_MailOperator):
    """Pulls status events from the provider since the stored cursor and folds them."""

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.journal import Journal
        from ponton.mail.reconcile import pull_provider_events

        db = self._platform()
        return pull_provider_events(db, self._provider(), Journal(db, journal_context))


class FoldMailWebhooksOperator(_MailOperator):
    """Folds the SendGrid and Postmark posts stored by the webhook receiver."""

    template_fields = ("platform_conn_id",)

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.journal import Journal
        from ponton.mail.reconcile import fold_webhook_inbox

        db = self._platform()
        return fold_webhook_inbox(db, Journal(db, journal_context))
