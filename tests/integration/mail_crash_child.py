"""Run by the crash-window tests in a subprocess: dispatch pending notifications through a provider
whose process is killed (SIGKILL, no cleanup of any kind) right after the provider accepted the
first message and before its receipt is committed.

    python -m tests.integration.mail_crash_child KIND PLATFORM_DB_URL CAPTURE_FOLDER
"""

import os
import signal
import sys
from pathlib import Path

from ponton.journal import Journal
from ponton.mail.dispatch import dispatch_pending
from ponton.platform import PlatformDB


def main() -> None:
    kind, db_url, folder = sys.argv[1:4]
    if kind == "local":
        from ponton.mail.backends.local import LocalCapture, LocalCaptureOptions
        from tests.integration.conftest import SENDER

        provider = LocalCapture(options=LocalCaptureOptions(folder=Path(folder), sender=SENDER))
    else:
        from ponton.hooks.mail import get_mail_provider

        provider = get_mail_provider()
    accept = provider.send

    def accept_then_die(message):
        accept(message)
        os.kill(os.getpid(), signal.SIGKILL)

    provider.send = accept_then_die
    db = PlatformDB(db_url)
    dispatch_pending(db, provider, Journal(db))
    sys.exit("not killed: no pending notification?")


if __name__ == "__main__":
    main()
