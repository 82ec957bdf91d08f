"""Operator keeping one binding's push channel alive: Google ``events.watch`` channels and Graph
subscriptions are created when missing, renewed past half their lifetime, stopped when unwanted.

The channel token (Google) / clientState (Graph) is generated here, sent to the provider and
stored only as its SHA-256. Every create, renew and stop writes one journal row.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator

WEBHOOK_BASE_URL_TEMPLATE = "{{ var.value.get('ponton_webhook_base_url', '') }}"


class CalendarChannelOperator(PontonOperator):
    """Reconciles the push channel of ``binding_id`` with what the binding wants."""

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
        from datetime import UTC, datetime

        from ponton.calendars import channels
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal

        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        binding = channels.binding(db, int(self.binding_id))
        if binding is None:
            return {"binding_id": self.binding_id, "action": "none", "reason": "binding deleted"}
        decision = channels.decide(binding, datetime.now(UTC))
        summary = {
            "binding_id": binding["id"],
            "action": decision.action,
            "reason": decision.reason,
        }
        if decision.action in ("keep", "none"):
            return summary
        manager = _ChannelManager(binding, self._base_url(decision.action))
        changes = getattr(manager, decision.action)()
        with db.begin() as conn:
            channels.save_channel(conn, binding["id"], **changes)
            Journal(db, journal_context).record(
                binding["provider"],
                f"channel_{decision.action}",
                outcome="changed",
                object_type="calendar_binding",
                object_id=binding["id"],
                details={
                    "reason": decision.reason,
                    "channel_id": changes.get("channel_id"),
                    "expires_at": _iso(changes.get("expires_at")),
                },
                conn=conn,
            )
        return summary | {"expires_at": _iso(changes.get("expires_at"))}

    def _base_url(self, action: str) -> str:
        from ponton.errors import ConfigError

        base = (self.webhook_base_url or "").rstrip("/")
        if action != "stop" and not base.startswith("https://"):
            raise ConfigError(
                f"Airflow variable ponton_webhook_base_url is {base!r}; set it to the public HTTPS "
                "URL of the webhook app (e.g. https://hooks.example.com/ponton), see "
                "docs/integrations/google-calendar.md#webhooks"
            )
        return base


class _ChannelManager:
    """Provider-specific create/renew/stop; each returns the binding's new channel columns."""

    def __init__(self, binding: dict[str, Any], base_url: str) -> None:
        self.binding = binding
        self.base_url = base_url
        self.options = binding.get("options") or {}

    @property
    def calendar(self):
        if self.binding["provider"] == "google":
            from ponton.hooks.google_calendar import GoogleCalendarHook

            conn_id = self.binding.get("conn_id") or GoogleCalendarHook.default_conn_name
            hook = GoogleCalendarHook(google_calendar_conn_id=conn_id)
        else:
            from ponton.hooks.outlook_calendar import OutlookCalendarHook

            conn_id = self.binding.get("conn_id") or OutlookCalendarHook.default_conn_name
            hook = OutlookCalendarHook(outlook_conn_id=conn_id)
        return hook.calendar(self.binding["source"], self.options)

    def create(self) -> dict[str, Any]:
        import uuid
        from datetime import UTC, datetime

        from ponton.calendars import channels
        from ponton.hooks.masking import new_channel_token

        token = new_channel_token()
        ttl = channels.lifetime(self.binding)
        if self.binding["provider"] == "google":
            channel_id = f"ponton-{self.binding['id']}-{uuid.uuid4().hex}"
            resource_id, expires = self.calendar.watch(
                channel_id, f"{self.base_url}/webhooks/google", token, ttl
            )
        else:
            url = f"{self.base_url}/webhooks/graph"
            channel_id, expires = self.calendar.subscribe(
                url, token, datetime.now(UTC) + ttl, lifecycle_url=url
            )
            resource_id = None
        return {
            "channel_id": channel_id,
            "resource_id": resource_id,
            "token_digest": channels.token_hash(token),
            "expires_at": expires,
        }

    def renew(self) -> dict[str, Any]:
        from datetime import UTC, datetime

        from ponton.calendars import channels

        if self.binding["provider"] == "outlook":
            from ponton.calendars.graph_api import http_status
            from ponton.errors import ConfigError

            try:
                expires = self.calendar.renew(
                    self.binding["channel_id"], datetime.now(UTC) + channels.lifetime(self.binding)
                )
            except ConfigError as exc:
                if http_status(exc) != 404:
                    raise
                return self.create()  # Graph dropped it: a new subscription replaces it
            return {
                "channel_id": self.binding["channel_id"],
                "token_digest": self.binding["channel_token_hash"],
                "expires_at": expires,
            }
        # Google channels cannot be extended: open the next one, then close the old one.
        fresh = self.create()
        self.stop()
        return fresh

    def stop(self) -> dict[str, Any]:
        if self.binding["provider"] == "google":
            self.calendar.stop(self.binding["channel_id"], self.binding["channel_resource_id"])
        else:
            self.calendar.unsubscribe(self.binding["channel_id"])
        return {"channel_id": None}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
