"""A real Xandikos CalDAV server (https://www.xandikos.org/) on a free loopback port, so CalDAV
behaviour is checked against a second, independent implementation next to Radicale.

Xandikos serves one user without authentication (``serve --autocreate``: the principal lives at
``/user/`` and calendars under its ``calendars/`` home set, each a git repository).
"""

from __future__ import annotations

import sys

from tests.fakes.dav_server import DavServer


class XandikosServer(DavServer):
    name = "Xandikos"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "xandikos",
            "serve",
            "--directory",
            str(self.storage / "dav"),
            "--state-dir",
            str(self.storage / "state"),
            "--autocreate",
            "--no-detect-systemd",
            "--listen-address",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
