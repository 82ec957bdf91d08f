"""Operator keeping one binding's push channel alive (Google ``events.watch`` channels, Graph
subscriptions): the same service as ``ponton sync channel BINDING``
(``ponton.calendars.channels.reconcile_channel``)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator

WEBHOOK_BASE_URL_TEMPLATE = "{{ var.value.get('ponton_webhook_base_url', '') }}"


class CalendarChannelOperator(PontonOperator):
    """Creates, renews or stops the push channel of ``binding_id`` as the binding wants."""

    template_fields = ("binding_id", "webhook_base_url", "platform_conn_id")

    def __init__(
        self,
        *,
        binding_id: int,
        webhook_base_url: str = WEBHOOK_BASE_URL_TEMPLATE,
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.binding_id = binding_id
        self.webhook_base_url = webhook_base_url
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.calendars.channels import reconcile_channel
        from ponton.hooks.connections import AirflowConnectionResolver
        from ponton.hooks.masking import new_channel_token
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal
        from ponton.sync.adapters import calendar_opener

        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        return reconcile_channel(
            db,
            int(self.binding_id),
            calendar_opener(AirflowConnectionResolver()),
            webhook_base_url=self.webhook_base_url,
            journal=Journal(db, journal_context),
            new_token=new_channel_token,
        )
