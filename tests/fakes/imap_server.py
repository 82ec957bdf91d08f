"""A real IMAP server on loopback: pymap's in-memory ``dict`` backend, run as its own process
(``pymap --host 127.0.0.1 --port N dict``, https://github.com/icgood/pymap#dict-plugin), with
STARTTLS on a certificate from a throw-away ``trustme`` CA. The tests fill the bounce folder with
APPEND (RFC 3501 section 6.3.11: the date given becomes the message's INTERNALDATE), as the
relay's local delivery would.
"""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import trustme

from tests.fakes.loopback import unused_port

USER, PASSWORD = "bounces", "bounce-pass"
FOLDER = "Bounces"


class ImapPeer:
    def __init__(self, tmp: Path, ca: trustme.CA | None = None) -> None:
        """``ca``: sign the server's certificate with it (the relay's, as one CA file serves
        both in the connection); a new CA otherwise."""
        self.port = unused_port()
        ca = ca or trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        self.ca_file = tmp / "imap-ca.pem"
        ca.cert_pem.write_to_path(self.ca_file)
        cert_file, key_file = tmp / "imap-cert.pem", tmp / "imap-key.pem"
        cert.cert_chain_pems[0].write_to_path(cert_file)
        cert.private_key_pem.write_to_path(key_file)
        pymap = Path(sys.executable).with_name("pymap")
        self.process = subprocess.Popen(
            [
                str(pymap),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--cert",
                str(cert_file),
                "--key",
                str(key_file),
                "dict",
                "--demo-user",
                USER,
                "--demo-password",
                PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_listening()
        self.create_folder()

    def _wait_until_listening(self, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pymap exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("pymap did not start listening")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(USER, PASSWORD)
        return client

    def create_folder(self) -> None:
        client = self.client()
        try:
            client.create(FOLDER)
        finally:
            client.logout()

    def recreate_folder(self) -> None:
        """Delete and create the folder again: a new UIDVALIDITY (RFC 3501 section 2.3.1.1)."""
        client = self.client()
        try:
            client.delete(FOLDER)
            client.create(FOLDER)
        finally:
            client.logout()

    def drop(self, raw: bytes, at: datetime) -> int:
        """Deliver ``raw`` into the bounce folder; returns its UID (UIDPLUS, RFC 4315)."""
        client = self.client()
        try:
            status, answer = client.append(FOLDER, None, imaplib.Time2Internaldate(at), raw)
        finally:
            client.logout()
        assert status == "OK", answer
        return int(answer[0].split(b"]")[0].split()[-1])

    def mailbox(self, **changes: Any):
        from ponton.mail.backends.smtp_bounces import BounceMailbox

        fields = {
            "host": "localhost",
            "port": self.port,
            "user": USER,
            "password": PASSWORD,
            "folder": FOLDER,
            "security": "starttls",
            "ssl_ca_file": str(self.ca_file),
            "timeout": 5,
        } | changes
        return BounceMailbox(**fields)

    def extra(self) -> dict[str, Any]:
        """The ``ponton_smtp`` extras that point at this mailbox (its CA file: ``ssl_ca_file``)."""
        return {
            "bounce_imap_host": "localhost",
            "bounce_imap_port": str(self.port),
            "bounce_imap_security": "starttls",
            "bounce_imap_user": USER,
            "bounce_imap_password": PASSWORD,
            "bounce_imap_folder": FOLDER,
        }
