"""``ponton documents publish`` and ``verify``: the exact CLI contract, a user's story end to end
(publish to two folders, one file deleted by hand, verify finds it, repair restores it)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ponton.cli import main
from ponton.demo.seed import seed

pytestmark = pytest.mark.integration
CODE = "M-2026-030"


@pytest.fixture
def folders(platform_env, tmp_path, monkeypatch):
    seed(platform_env, date(2026, 3, 2))
    roots = {}
    for conn_id in ("docs_a", "docs_c"):
        roots[conn_id] = tmp_path / conn_id
        conn = {"conn_type": "ponton_local_storage", "extra": {"path": str(roots[conn_id])}}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return roots


def run_json(capsys, *argv) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out[out.index("\n{") + 1 if not out.startswith("{") else 0 :])


def test_publish_to_a_second_folder_delivers_it_and_verify_repairs_a_deleted_file(folders, capsys):
    code, first = run_json(capsys, "documents", "publish", CODE, "--to", "docs_a", "--json")
    assert code == 0 and first["destinations"][0]["uploaded"] == 1
    code, both = run_json(capsys, "documents", "publish", CODE, "--to", "docs_a,docs_c", "--json")
    by_conn = {d["conn_id"]: d for d in both["destinations"]}
    assert code == 0 and set(by_conn) == {"docs_a", "docs_c"}
    assert (by_conn["docs_a"]["uploaded"], by_conn["docs_a"]["bytes_uploaded"]) == (0, 0)
    assert by_conn["docs_c"]["uploaded"] == 1 and by_conn["docs_c"]["verified"] == 1
    assert set(by_conn["docs_c"]) == {
        "conn_id",
        "uploaded",
        "unchanged",
        "bytes_uploaded",
        "verified",
    }

    [pdf] = [p for p in folders["docs_c"].rglob("*.pdf") if p.is_file()]
    pdf.unlink()
    code, report = run_json(capsys, "documents", "verify", "--json")
    assert code == 1
    assert {k: report[k] for k in ("checked", "missing", "changed", "extra", "repaired")} == {
        "checked": 2,
        "missing": 1,
        "changed": 0,
        "extra": 0,
        "repaired": 0,
    }
    code, repaired = run_json(capsys, "documents", "verify", "--to", "docs_c", "--repair", "--json")
    assert (code, repaired["missing"], repaired["repaired"]) == (0, 1, 1) and pdf.is_file()
    assert main(["documents", "verify"]) == 0


def test_a_failing_destination_exits_non_zero_and_the_others_are_delivered(folders, capsys):
    code, result = run_json(
        capsys, "documents", "publish", CODE, "--to", "nowhere,docs_a", "--json"
    )
    by_conn = {d["conn_id"]: d for d in result["destinations"]}
    assert code == 1 and "does not exist" in by_conn["nowhere"]["error"]
    assert by_conn["docs_a"]["uploaded"] == 1
