"""What an ops person sees in the Airflow UI, checked in headless Chromium (Debian's chromium and
chromedriver driven by selenium; nothing downloaded).

One story, one Airflow: the demo set-up (`make airflow`) started by the test on a free port, the
calendar import run once by the scheduler, then a person logs in, finds the DAGs, reads a sync
task's log, settles a conflict on ponton's Conflicts page and finds their decision in the journal.
Screenshots go to ``$PONTON_UI_SCREENSHOTS`` when set (``docs/`` to refresh the documentation's).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PASSWORD = "ponton-browser-test"
STARTUP_SECONDS = 600  # two shared cores: Airflow's four components start slowly


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 2.0):
    """Poll ``check`` until it returns something truthy; the value is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (requests.RequestException, KeyError, ValueError):
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """`scripts/demo.py --standalone` on a free port with a known admin password."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "chromium and chromium-driver are not installed (scripts/install-system-deps.sh)"
        )
    demo = tmp_path_factory.mktemp("airflow-ui")
    home = demo / "airflow"
    home.mkdir()
    # Simple auth manager reads this file and generates passwords only for users missing from it.
    (home / "simple_auth_manager_passwords.json.generated").write_text(
        json.dumps({"admin": PASSWORD})
    )
    port = free_port()
    # The test session's own Airflow settings (unit test mode, its home) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PONTON"))}
    env |= {
        "PONTON_DEMO_DIR": str(demo),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    }
    log = (demo / "standalone.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--standalone"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            "the API server",
            lambda: requests.get(f"{base}/api/v2/monitor/health", timeout=5).ok,
            STARTUP_SECONDS,
        )
        yield base, demo
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def api(base: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{base}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def run_calendar_import(base: str) -> str:
    """Unpause and trigger the import once; wait until the scheduler finished it."""
    session = api(base)
    dag = f"{base}/api/v2/dags/ponton_calendar_import"
    wait_for("the DAG to be parsed", lambda: session.get(dag, timeout=10).ok, STARTUP_SECONDS)
    session.patch(dag, json={"is_paused": False}, timeout=30).raise_for_status()
    run = session.post(f"{dag}/dagRuns", json={"logical_date": None}, timeout=30).json()
    run_id = run["dag_run_id"]
    state = wait_for(
        "the calendar import run to finish",
        lambda: (
            s
            if (s := session.get(f"{dag}/dagRuns/{run_id}", timeout=10).json()["state"])
            in ("success", "failed")
            else None
        ),
        STARTUP_SECONDS,
        every=5,
    )
    assert state == "success"
    return run_id


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1440,1000")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def text_appears(driver, needle: str, timeout: float = 90) -> str:
    from selenium.webdriver.common.by import By

    return wait_for(
        f"{needle!r} on {driver.current_url}",
        lambda: needle in (body := driver.find_element(By.TAG_NAME, "body").text) and body,
        timeout,
        every=1,
    )


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("PONTON_UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def log_in(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/")
    wait_for("the login form", lambda: driver.find_elements(By.NAME, "username"), 120, every=1)
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for("the session cookie", lambda: driver.get_cookie("_token"), 60, every=1)


def test_ops_person_reads_a_sync_log_and_settles_a_conflict_in_the_ui(airflow, browser):
    from selenium.webdriver.common.by import By

    base, _demo = airflow
    run_id = run_calendar_import(base)

    # Nobody signed in: the review page and its form refuse the request.
    anonymous = requests.get(f"{base}/ponton/review/conflicts", timeout=30)
    assert anonymous.status_code in (401, 403)
    assert requests.post(
        f"{base}/ponton/review/conflicts/1", data={"action": "dismiss"}, timeout=30
    ).status_code in (401, 403)

    log_in(browser, base)
    browser.get(f"{base}/dags")
    text_appears(browser, "ponton_calendar_import")
    screenshot(browser, "airflow-dag-list")

    # The sync task's log tells what it did and what needs a person.
    browser.get(f"{base}/dags/ponton_calendar_import/runs/{run_id}/tasks/sync_binding/mapped/1")
    body = text_appears(browser, "queued for review")
    assert re.search(r"binding \d \(ICS feed → bruno\.leroy\): .*Needs a person: #\d", body)
    screenshot(browser, "airflow-sync-log")

    # The Conflicts entry of the navigation frames the review page.
    browser.get(f"{base}/plugin/ponton-conflicts")
    wait_for(
        "the framed review page",
        lambda: browser.find_elements(By.CSS_SELECTOR, "iframe[src*='ponton/review/conflicts']"),
        60,
        every=1,
    )
    browser.get(f"{base}/ponton/review/conflicts")
    page = text_appears(browser, "Conflicts waiting for a person")
    assert "Double booking (4)" in page and "Signed in as admin" in page
    screenshot(browser, "airflow-conflicts")
    first = browser.find_element(By.CSS_SELECTOR, "div.card[data-kind=double_booking]")
    settled = first.get_attribute("id").removeprefix("conflict-")
    first.find_element(By.CSS_SELECTOR, "button[value=dismiss]").click()
    page = text_appears(browser, f"Conflict #{settled} settled by admin")
    assert "Double booking (3)" in page

    browser.get(f"{base}/ponton/review/journal")
    journal = text_appears(browser, "conflict_resolved")
    assert "'by': 'admin'" in journal and "'keep': 'dismiss'" in journal
