"""Local capture as the shared mail provider (``ponton_local_mail``): messages become ``.eml``
files in a folder and nothing leaves the machine. Only by explicit choice: the demo and
development set it; ``ponton doctor`` flags it anywhere its ``demo`` extra is not set.
"""

from __future__ import annotations

from typing import Any

from ponton.hooks.mail import MailHook
from ponton.mail.backends.local import DEFAULT_SENDER, LocalCapture, LocalCaptureOptions


class LocalMailHook(MailHook):
    conn_type = "ponton_local_mail"
    hook_name = "Local mail capture (ponton mail)"
    default_sender = DEFAULT_SENDER

    def build_backend(self, common: dict[str, Any]) -> LocalCapture:
        folder = self.extra.get("folder") or None
        return LocalCapture(options=LocalCaptureOptions(folder=folder, **common))
