"""### ponton documents publish

Renders each active mission's roadmap ("feuille de route") as PDF and publishes it, with the
mission's registered assets (`documents` table), to every configured destination (storage
connection and its root): one mapped task per mission. Each destination is an independent
delivery: each upload is read back, verified against the backend's checksum and recorded as a
`document_versions` row of that destination plus a journal line. `ponton documents publish` runs
the same code by hand.

* **Needs**: the `ponton_platform` connection (optional, embedded SQLite otherwise); the Airflow
  Variable `ponton_storage_conn_ids` (comma-separated storage connections, default
  `ponton_storage_local`: the folder `$PONTON_HOME/storage`). Optional Variable
  `ponton_roadmap_pdf_variant` (`pdf/a-3b` for archival). See `docs/integrations/storage.md`.
* **Schedule**: hourly.
* **Deadline**: a run unfinished 50 min after it was queued is journaled as
  `platform / deadline_missed` (docs/monitoring.md).
* **Rerun**: always safe. Unchanged roadmaps and assets upload 0 bytes; a retried upload never
  creates a second version of the same bytes (it adopts the one already stored).
"""

from datetime import timedelta

from airflow.sdk import dag

from ponton.operators.deadlines import sync_deadline
from ponton.operators.defaults import START_DATE, default_args
from ponton.operators.documents import ActiveMissionsOperator, PublishMissionDocumentsOperator


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=sync_deadline("ponton_documents_publish", timedelta(minutes=50)),
    tags=["ponton", "documents", "storage"],
    description=(
        "Renders each active mission's roadmap PDF and publishes it with the mission's "
        "files, verified"
    ),
    doc_md=__doc__,
)
def ponton_documents_publish():
    missions = ActiveMissionsOperator(task_id="active_missions")
    PublishMissionDocumentsOperator.partial(
        task_id="publish_mission_documents",
        storage_conn_ids="{{ var.value.get('ponton_storage_conn_ids', 'ponton_storage_local') }}",
        pdf_variant="{{ var.value.get('ponton_roadmap_pdf_variant', '') }}",
        max_active_tis_per_dag=4,
        map_index_template="mission {{ task.mission_code }}",
    ).expand(mission_code=missions.output)


ponton_documents_publish()
