"""Local capture: writes each message as an ``.eml`` file in a folder and reports it delivered,
so the demo and development need no mail server.

Files are named ``<UTC timestamp>_<reference>.eml`` and written atomically (temporary file, then
rename), so a crash never leaves half a message and ``find`` sees a message iff it was captured.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ponton import settings
from ponton.errors import ConfigError, PontonError, TransientError
from ponton.mail.backends.base import BaseMailBackend, MailOptions
from ponton.mail.message import Address, OutgoingMail, notification_id_from_reference
from ponton.mail.port import EventPage, Receipt
from ponton.mail.status import StatusEvent

DEFAULT_SENDER = Address("ponton@localhost.localdomain", "ponton")
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def default_folder() -> Path:
    return settings.ponton_home() / "mail"


@dataclass(frozen=True, kw_only=True)
class LocalCaptureOptions(MailOptions):
    sender: Address = DEFAULT_SENDER
    folder: Path | None = None  # None: PONTON_HOME/mail
    page_size: int = 1000  # captured files per status page


class LocalCapture(BaseMailBackend):
    """Implements :class:`~ponton.mail.port.StatusLookup` and ``StatusPull`` from its folder."""

    name = "local"
    vendor_errors = (OSError,)

    def __init__(self, *, options: LocalCaptureOptions | None = None) -> None:
        super().__init__(options=options or LocalCaptureOptions())
        folder = self.options.folder
        self.folder = Path(folder) if folder else default_folder()

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.eml"))

    # -- vendor steps of the send ------------------------------------------------------------

    def build_payload(self, message: OutgoingMail) -> tuple[datetime, bytes]:
        now = datetime.now(UTC)
        return now, message.to_mime(date=now).as_bytes()

    def deliver(self, payload: tuple[datetime, bytes], message: OutgoingMail) -> Path:
        now, data = payload
        target = self.folder / f"{now.strftime(_STAMP)}_{message.reference}.eml"
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return target

    def receipt(self, answer: Path, message: OutgoingMail) -> Receipt:
        return self._receipt(answer)

    def translate_error(self, exc: BaseException, what: str, *, sending: bool) -> PontonError:
        if isinstance(exc, PermissionError | NotADirectoryError | FileExistsError):
            return ConfigError(f"mail capture folder {self.folder} is not writable ({exc})")
        # Disk full and the like: nothing was captured, try again later.
        return TransientError(f"mail capture folder {self.folder}: {exc}")

    def check_access(self) -> str:
        self.call("the folder check", lambda: self.folder.mkdir(parents=True, exist_ok=True))
        if not os.access(self.folder, os.W_OK):
            raise ConfigError(f"mail capture folder {self.folder} is not writable")
        return f"local capture into {self.folder} (nothing leaves this machine)"

    # -- optional features -------------------------------------------------------------------

    def _receipt(self, path: Path) -> Receipt:
        stamp = datetime.strptime(path.name.split("_", 1)[0], _STAMP).replace(tzinfo=UTC)
        return Receipt(path.name, stamp, status="delivered")

    def find(self, reference: str) -> Receipt | None:
        for path in self._files():
            if path.stem.split("_", 1)[-1] == reference:
                return self._receipt(path)
        return None

    def fetch_events(self, cursor: str | None) -> EventPage:
        """One ``delivered`` event per captured file named after ``cursor`` (the last file seen),
        ``page_size`` files a page, oldest first."""
        after = [p for p in self._files() if cursor is None or p.name > cursor]
        files = after[: self.options.page_size]
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
        more = len(after) > len(files)
        return EventPage(events, files[-1].name if files else cursor, more=more)
