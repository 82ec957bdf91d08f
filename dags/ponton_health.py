"""### ponton health

Runs the checks of `ponton doctor` once a day: the platform database is reachable and migrated,
every configured connection of a ponton type passes its hook's `test_connection()`, push channels
of bindings that want them stay valid for 24 h, and declared client secrets and certificates are
more than 30 days from expiry. Writes one `platform / health_check` journal row and returns the
counts; fails naming each problem and its fix, so the failure notifier alerts. Then checks every
document destination against the publication ledger (`ponton documents verify`: missing, changed
and extra objects; one `documents / verify` journal row per destination) and fails on drift.

* **Needs**: the `ponton_platform` connection (optional: without it the embedded SQLite file under
  `PONTON_HOME` is used); reads every connection of a ponton type it can find.
* **Schedule**: daily.
* **Rerun**: always safe; it only reads and tests, and adds journal rows.
"""

from airflow.sdk import dag

from ponton.operators.defaults import START_DATE, default_args
from ponton.operators.documents import VerifyDocumentsOperator
from ponton.operators.health import HealthChecksOperator


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["ponton", "ops"],
    description=(
        "Checks the platform DB, every connection and bound calendar, push channels and "
        "credential end dates"
    ),
    doc_md=__doc__,
)
def ponton_health():
    HealthChecksOperator(task_id="run_checks")
    VerifyDocumentsOperator(task_id="verify_documents")


ponton_health()
