"""A real Radicale CalDAV server on a free loopback port with a throw-away storage folder."""

from __future__ import annotations

import sys

from tests.fakes.dav_server import DavServer


class RadicaleServer(DavServer):
    name = "Radicale"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder",
            str(self.storage / "collections"),
            "--auth-type",
            "none",
            "--logging-level",
            "warning",
        ]
