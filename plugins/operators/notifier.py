"""Task-failure alerts through the shared mail provider, for every ponton DAG.

``default_args()`` installs :class:`PontonFailureNotifier` as ``on_failure_callback``. Building it
costs nothing at DAG parse time (no import beyond ``airflow.sdk``, no I/O); the work happens when
a task fails. Without a recipient (``PONTON_OPS_EMAIL`` or the mail connection's
``ops_recipients`` extra) it only logs that nobody is configured. An alert that cannot be sent is
logged, never raised: it must not hide the failure it reports.
"""

from __future__ import annotations

import hashlib
from typing import Any

from airflow.sdk import BaseNotifier, Context


class PontonFailureNotifier(BaseNotifier):
    """Mails ops that a task failed, with the error and the log link."""

    template_fields = ()

    def __init__(self, *, mail_conn_id: str = "ponton_mail", recipients: list[str] | None = None):
        super().__init__()
        self.mail_conn_id = mail_conn_id
        self.recipients = recipients

    def _facts(self, context: Context) -> dict[str, Any]:
        ti = context.get("ti") or context.get("task_instance")
        return {
            "dag_id": getattr(ti, "dag_id", None) or "?",
            "task_id": getattr(ti, "task_id", None) or "?",
            "run_id": context.get("run_id") or getattr(ti, "run_id", None) or "?",
            "try_number": getattr(ti, "try_number", None) or "?",
            "log_url": getattr(ti, "log_url", None) or "(no log URL)",
            "error": str(context.get("exception") or "(no exception in the context)")[:2000],
        }

    def notify(self, context: Context) -> None:
        self.alert(self._facts(context))

    def alert(self, facts: dict[str, Any]) -> None:
        """Mail ``facts`` (dag_id, task_id, run_id, try_number, log_url, error) to ops; never
        raises, an alert must not fail what it reports on."""
        from ponton.hooks.mail import ops_recipients

        recipients = self.recipients or ops_recipients(self.mail_conn_id)
        if not recipients:
            self.log.info(
                "no ops recipient configured (PONTON_OPS_EMAIL or extra ops_recipients of %r): "
                "failure of %s.%s not mailed",
                self.mail_conn_id,
                facts["dag_id"],
                facts["task_id"],
            )
            return
        try:
            self._send(facts, recipients)
        except Exception:
            self.log.exception(
                "could not mail the failure of %s.%s", facts["dag_id"], facts["task_id"]
            )

    def _send(self, facts: dict[str, Any], recipients: list[str]) -> None:
        from ponton.hooks.mail import get_mail_provider
        from ponton.mail.compose import render
        from ponton.mail.message import MAX_SUBJECT_CHARS, Address, OutgoingMail, header_text
        from ponton.mail.port import KeptSession

        provider = get_mail_provider(self.mail_conn_id)
        text, html = render("task_failure", facts)
        subject = header_text(
            f"[ponton] {facts['dag_id']}.{facts['task_id']} failed (try {facts['try_number']})",
            "subject",
            MAX_SUBJECT_CHARS,
        )
        try:
            for recipient in recipients:
                key = "|".join(str(facts[k]) for k in ("dag_id", "run_id", "task_id", "try_number"))
                reference = (
                    "alert-" + hashlib.sha256(f"{key}|{recipient}".encode()).hexdigest()[:16]
                )
                message = OutgoingMail(
                    reference=reference,
                    sender=provider.sender,
                    to=(Address.parse(recipient, role="ops recipient"),),
                    subject=subject,
                    text=text,
                    html=html,
                )
                receipt = provider.send(message)
                self.log.info(
                    "failure of %s.%s mailed to %s through %s (%s)",
                    facts["dag_id"],
                    facts["task_id"],
                    recipient,
                    provider.name,
                    receipt.provider_message_id,
                )
                self._journal(facts, provider.name, receipt.provider_message_id)
        finally:
            if isinstance(provider, KeptSession):
                provider.close()

    def _journal(self, facts: dict[str, Any], provider: str, message_id: str) -> None:
        from ponton.context import RunContext
        from ponton.hooks.platform import PlatformDBHook
        from ponton.journal import Journal

        context = RunContext(facts["dag_id"], facts["run_id"], facts["task_id"])
        try:
            Journal(PlatformDBHook().platform_db, context).record(
                "mail",
                "alert",
                object_type="task",
                object_id=f"{facts['dag_id']}.{facts['task_id']}",
                details={"provider": provider, "provider_message_id": message_id},
            )
        except Exception:  # noqa: BLE001 - the platform DB may be the very thing that failed
            self.log.warning("alert sent but not journaled: the platform DB is unavailable")
