"""A real CalDAV server (Radicale or Xandikos) run as a child process on a free loopback port
with a throw-away storage folder; the tests talk to it through the ``caldav`` client library."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path


class DavServer:
    """Start in ``__enter__``, stop and delete the storage in ``__exit__``."""

    name = "CalDAV server"

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._storage = tempfile.TemporaryDirectory(prefix=f"ponton-{self.name.lower()}-")
        self._process: subprocess.Popen | None = None

    @property
    def storage(self) -> Path:
        return Path(self._storage.name)

    def command(self) -> list[str]:
        raise NotImplementedError

    def __enter__(self):
        self._process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self._process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"{self.name} did not start within 20s")

    def __exit__(self, *exc) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._storage.cleanup()
