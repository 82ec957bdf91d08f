"""Telling the import DAG that a calendar changed, at most once per window.

Providers send bursts (one notification per edited event, plus replays). Routes call
``calendar_changes.poke(binding_id)``; the first poke of a quiet period starts a timer and the
connected emitter runs once when it fires, with every binding poked meanwhile. Inside the Airflow
API server the plugin connects an emitter that records an Asset event for
``ponton.sync.CALENDAR_CHANGES_ASSET`` (see ``ponton.hooks.airflow_assets``); the import DAG is
scheduled on that asset, so a burst becomes one DAG run. Without an emitter (tests, plain
uvicorn) the inbox row alone is the signal and the import's own schedule picks it up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

DEBOUNCE_ENV = "PONTON_WEBHOOK_DEBOUNCE_SECONDS"

log = logging.getLogger(__name__)


class Debouncer:
    """Coalesces pokes within ``window`` seconds into one call of the emitter."""

    def __init__(self, window: float | None = None) -> None:
        self.window = window
        self._emit: Callable[[list[int]], None] | None = None
        self._pending: set[int] = set()
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def connect(self, emit: Callable[[list[int]], None]) -> None:
        self._emit = emit

    @property
    def seconds(self) -> float:
        if self.window is not None:
            return self.window
        return float(os.environ.get(DEBOUNCE_ENV, "30"))

    def poke(self, binding_id: int) -> None:
        if self._emit is None:
            return
        with self._lock:
            self._pending.add(binding_id)
            if self._timer is None:
                self._timer = threading.Timer(self.seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            bindings, self._pending = sorted(self._pending), set()
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None
        if bindings and self._emit is not None:
            try:
                self._emit(bindings)
            except Exception:  # the inbox row is kept; the scheduled import still runs
                log.exception("could not signal calendar changes for bindings %s", bindings)


calendar_changes = Debouncer()
