"""Operators publishing one mission's roadmap and assets to the configured destinations."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context

from ponton.context import RunContext
from ponton.operators.base import PontonOperator


class ActiveMissionsOperator(PontonOperator):
    """The codes of the active missions, read when the run starts: the list to map over.

    An operator rather than ``@task`` so the DAG file does not load the TaskFlow machinery.
    """

    template_fields = ("platform_conn_id",)

    def __init__(self, *, platform_conn_id: str = "ponton_platform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> list[str]:
        from ponton.documents.roadmap import mission_codes
        from ponton.hooks.platform import PlatformDBHook

        return mission_codes(PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready())


class PublishMissionDocumentsOperator(PontonOperator):
    """Renders the roadmap of ``mission_code`` and publishes it with the mission's assets.

    Unchanged documents are skipped (0 bytes uploaded); a retry adopts an upload that succeeded
    before the task died instead of creating a second version.
    """

    template_fields = ("mission_code", "storage_conn_ids", "pdf_variant", "platform_conn_id")

    def __init__(
        self,
        *,
        mission_code: str,
        storage_conn_ids: str | list[str] = "ponton_storage_local",
        pdf_variant: str | None = None,
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mission_code = mission_code
        self.storage_conn_ids = storage_conn_ids
        self.pdf_variant = pdf_variant
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.documents.publish import publish_mission_assets, publish_roadmap
        from ponton.hooks.platform import PlatformDBHook
        from ponton.hooks.storage import destinations_for
        from ponton.journal import Journal

        self.subject = f"mission {self.mission_code} documents"
        destinations = destinations_for(self.storage_conn_ids)
        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        journal = Journal(db, journal_context)
        results = publish_roadmap(
            db, destinations, journal, self.mission_code, pdf_variant=self.pdf_variant or None
        )
        results += publish_mission_assets(db, destinations, journal, self.mission_code)
        outcomes = [r.outcome for r in results]
        return {
            "mission": self.mission_code,
            "uploaded": outcomes.count("uploaded"),
            "unchanged": outcomes.count("unchanged"),
            "adopted": outcomes.count("adopted"),
            "bytes_uploaded": sum(r.bytes_uploaded for r in results),
            "backends": sorted({r.backend for r in results}),
            "destinations": sorted({r.conn_id for r in results}),
        }


class VerifyDocumentsOperator(PontonOperator):
    """``ponton documents verify``: every destination the ledger has published to (or
    ``storage_conn_ids``) compared with the ledger by hash; with ``repair``, what drifted is
    published again. Fails, naming the objects, when a problem remains, so the failure notifier
    alerts."""

    template_fields = ("storage_conn_ids", "platform_conn_id")

    def __init__(
        self,
        *,
        storage_conn_ids: str | list[str] = "",
        repair: bool = False,
        platform_conn_id: str = "ponton_platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.storage_conn_ids = storage_conn_ids
        self.repair = repair
        self.platform_conn_id = platform_conn_id

    def run(self, context: Context, journal_context: RunContext) -> dict[str, Any]:
        from ponton.documents.verify import recorded_conn_ids, verify_destinations
        from ponton.errors import GuardRefused
        from ponton.hooks.platform import PlatformDBHook
        from ponton.hooks.storage import destinations_for, split_conn_ids
        from ponton.journal import Journal

        db = PlatformDBHook(platform_conn_id=self.platform_conn_id).ensure_ready()
        conn_ids = split_conn_ids(self.storage_conn_ids) or recorded_conn_ids(db)
        if not conn_ids:
            return {"checked": 0, "missing": 0, "changed": 0, "extra": 0, "repaired": 0}
        report = verify_destinations(
            db, destinations_for(conn_ids), Journal(db, journal_context), repair=self.repair
        )
        summary = {k: v for k, v in report.as_dict().items() if k != "destinations"}
        if report.problems:
            found = "; ".join(
                f"{d.conn_id}: missing {d.missing}, changed {d.changed}, extra {d.extra}"
                for d in report.destinations
                if d.missing or d.changed or d.extra
            )
            raise GuardRefused(
                f"documents drifted from the ledger ({found}); run `ponton documents verify "
                "--repair` to publish them again, and remove or rename the extra objects"
            )
        return summary
