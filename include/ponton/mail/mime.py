"""The policy ponton writes MIME messages with: ``policy.SMTP``, the same bytes, at a fraction of
the cost, for dispatch builds one message per notification and the standard library spends more
time on it than a relay on the same host takes to accept it:

* ``HeaderRegistry`` builds a new class each time a header is set or counted; the class depends on
  the header's name only, so one per name is kept;
* text bodies (always UTF-8, quoted-printable here) get their ``Content-Type`` and
  ``Content-Transfer-Encoding`` written as they are, where ``set_text_content`` parses the
  Content-Type it has just written to add the charset, then folds both headers again.
"""

from __future__ import annotations

from email import policy, quoprimime
from email.contentmanager import ContentManager, raw_data_manager
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage

from ponton.mail.headers import PreEncoded


class _HeaderClasses(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


def _set_text(
    msg: EmailMessage,
    text: str,
    subtype: str = "plain",
    charset: str = "utf-8",
    cte: str = "quoted-printable",
) -> None:
    """``set_text_content`` for the one form ponton sends: UTF-8, quoted-printable, lines ending
    in a single newline before encoding, as the standard library normalises them."""
    if (charset, cte) != ("utf-8", "quoted-printable"):
        raise ValueError(f"ponton writes text as UTF-8 quoted-printable, not {charset} {cte}")
    for name in ("Content-Type", "Content-Transfer-Encoding"):
        del msg[name]
    msg["Content-Type"] = PreEncoded("Content-Type", f'text/{subtype}; charset="utf-8"')
    msg["Content-Transfer-Encoding"] = PreEncoded("Content-Transfer-Encoding", cte)
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    msg.set_payload(quoprimime.body_encode(body.decode("latin-1"), msg.policy.max_line_length))


def _set_bytes(msg: EmailMessage, data: bytes, *args, **kw) -> None:
    """Attachments: the standard library's handler."""
    raw_data_manager.set_content(msg, data, *args, **kw)


_contents = ContentManager()
_contents.add_set_handler(str, _set_text)
for kind in (bytes, bytearray, memoryview):
    _contents.add_set_handler(kind, _set_bytes)

SMTP = policy.SMTP.clone(header_factory=_HeaderClasses(), content_manager=_contents)
