"""Local capture: the embedded default mail backend. Writes each message as an ``.eml`` file under
``PONTON_HOME/mail`` and reports it delivered, so the demo and development need no mail server.

Files are named ``<UTC timestamp>_<reference>.eml`` and written atomically (temporary file, then
rename), so a crash never leaves half a message and ``find`` sees a message iff it was captured.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from ponton import settings
from ponton.errors import ConfigError, TransientError
from ponton.mail.message import Address, OutgoingMail, notification_id_from_reference
from ponton.mail.port import Capability, EventPage, Receipt
from ponton.mail.status import StatusEvent

DEFAULT_SENDER = Address("ponton@localhost.localdomain", "ponton")
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def default_folder() -> Path:
    return settings.ponton_home() / "mail"


class LocalCapture:
    name = "local"
    capabilities: frozenset[Capability] = frozenset({"lookup", "events"})

    def __init__(self, folder: Path | None = None, sender: Address = DEFAULT_SENDER) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.sender = sender

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.eml"))

    def send(self, message: OutgoingMail) -> Receipt:
        now = datetime.now(UTC)
        target = self.folder / f"{now.strftime(_STAMP)}_{message.reference}.eml"
        payload = message.to_mime(date=now).as_bytes()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        except (PermissionError, NotADirectoryError, FileExistsError) as exc:
            raise ConfigError(f"mail capture folder {self.folder} is not writable ({exc})") from exc
        except OSError as exc:
            raise TransientError(f"mail capture folder {self.folder}: {exc}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temporary, target)
        except BaseException as exc:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, OSError):  # disk full: nothing was captured, try again later
                raise TransientError(f"mail capture folder {self.folder}: {exc}") from exc
            raise
        return Receipt(target.name, now, status="delivered")

    def _receipt(self, path: Path) -> Receipt:
        stamp = datetime.strptime(path.name.split("_", 1)[0], _STAMP).replace(tzinfo=UTC)
        return Receipt(path.name, stamp, status="delivered")

    def find(self, reference: str) -> Receipt | None:
        for path in self._files():
            if path.stem.split("_", 1)[-1] == reference:
                return self._receipt(path)
        return None

    def fetch_events(self, cursor: str | None) -> EventPage:
        """One ``delivered`` event per captured file named after ``cursor`` (the last file seen)."""
        files = [p for p in self._files() if cursor is None or p.name > cursor]
        events = []
        for path in files:
            receipt = self._receipt(path)
            reference = path.stem.split("_", 1)[-1]
            events.append(
                StatusEvent(
                    provider=self.name,
                    provider_event_id=f"captured:{path.name}",
                    kind="delivered",
                    occurred_at=receipt.accepted_at,
                    notification_id=notification_id_from_reference(reference),
                    provider_message_id=path.name,
                    event="captured",
                )
            )
        return EventPage(events, files[-1].name if files else cursor)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        raise ConfigError("local capture receives no webhooks; configure SendGrid or Postmark")
