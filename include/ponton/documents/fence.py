"""Document sources fenced to configured folders.

``documents.source_path`` is written by the platform, so whoever can edit a document row could
otherwise have a worker upload ``/proc/self/environ`` (which holds ``AIRFLOW_CONN_*`` secrets) or
``/etc/passwd`` to storage. A source is published only when its real path (symlinks resolved)
lies under one of the folders in ``PONTON_DOCUMENT_ROOTS`` (separated by ``os.pathsep``; default
``$PONTON_HOME/documents``) and it is a regular file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from ponton import settings
from ponton.errors import InvalidInputError
from ponton.files import open_regular_file

DOCUMENT_ROOTS_ENV = "PONTON_DOCUMENT_ROOTS"


def document_roots() -> list[Path]:
    configured = os.environ.get(DOCUMENT_ROOTS_ENV, "")
    roots = [Path(p).expanduser() for p in configured.split(os.pathsep) if p.strip()]
    return [root.resolve() for root in roots or [settings.ponton_home() / "documents"]]


def fenced_source(source_path: str | None, *, what: str) -> Path:
    """The real path of a document source inside the roots; :class:`InvalidInputError` naming
    ``PONTON_DOCUMENT_ROOTS`` otherwise."""
    name = Path(source_path or "").name
    if not source_path:
        raise InvalidInputError(f"{what}: no source file; fix documents.source_path")
    real = Path(source_path).expanduser().resolve()  # symlinks that exist are followed
    if not any(real.is_relative_to(root) for root in document_roots()):
        raise InvalidInputError(
            f"{what}: source file {name!r} is outside the document folders; move it under a "
            f"folder listed in {DOCUMENT_ROOTS_ENV} or add its folder there"
        )
    if not real.exists():
        raise InvalidInputError(
            f"{what}: source file {name!r} does not exist; fix documents.source_path or restore "
            "the file"
        )
    return real


def open_fenced(path: Path, *, what: str) -> BinaryIO:
    """Open a fenced source, refusing anything but a regular file (a FIFO, a device)."""
    handle, _info = open_regular_file(path, what=what)
    return handle
