"""Links from a ponton task instance in the Airflow UI to what it wrote.

Airflow 3 computes an operator's extra links in the worker when the task ends and stores them in
XCom, so these stay small and import nothing heavy.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from airflow.sdk import BaseOperatorLink


class JournalLink(BaseOperatorLink):
    """The journal rows of this task's DAG run, on ponton's review page.

    A same-origin path: only the path of ``[api] base_url`` is kept (an API server behind a
    proxy sub-path), so the link works whatever host name the browser used.
    """

    name = "ponton journal"

    def get_link(self, operator, *, ti_key) -> str:
        from airflow.configuration import conf

        prefix = urlsplit(conf.get("api", "base_url", fallback="")).path.rstrip("/")
        return f"{prefix}/ponton/review/journal?run_id={quote(ti_key.run_id, safe='')}"
