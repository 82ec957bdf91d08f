"""### ponton health

Checks that the platform database is reachable and migrated to the latest revision, and writes
one `platform / health_check` journal row.

* **Needs**: the `ponton_platform` connection (optional: without it the embedded SQLite file under
  `PONTON_HOME` is used).
* **Schedule**: daily.
* **Rerun**: always safe; it only reads the schema state and adds a journal row.
"""

from airflow.sdk import dag

from ponton.operators.defaults import START_DATE, default_args
from ponton.operators.health import PlatformHealthOperator


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["ponton", "ops"],
    doc_md=__doc__,
)
def ponton_health():
    PlatformHealthOperator(task_id="check_platform_db")


ponton_health()
