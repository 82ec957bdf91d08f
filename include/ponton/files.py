"""Reading files a user named (a feed path, a document source) without trusting what they are.

``stat`` says 0 bytes for ``/dev/zero`` and ``/proc`` files, a FIFO blocks the first read until a
writer comes, a directory fails deep inside a parser. So a file is opened without blocking, checked
to be a regular file on the open descriptor (no swap between check and read), and read with a hard
byte cap whatever its size claims. Messages name the file, never its full path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ponton.errors import ConfigError, InvalidInputError

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def open_regular_file(path: Path, *, what: str = "file") -> tuple[BinaryIO, os.stat_result]:
    """The open file and its ``fstat``; :class:`ConfigError` when it cannot be opened,
    :class:`InvalidInputError` when it is anything but a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(
            f"{what} {path.name!r} cannot be read ({exc.strerror}); check the path"
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise InvalidInputError(f"{what} {path.name!r} is {kind}; give a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb"), info


def read_capped(handle: BinaryIO, path: Path, *, max_bytes: int, what: str = "file") -> bytes:
    """At most ``max_bytes`` of an open file (:class:`InvalidInputError` beyond)."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInputError(
            f"{what} {path.name!r} is over the {max_bytes}-byte limit; raise max_bytes if it is "
            "genuine"
        )
    return data
