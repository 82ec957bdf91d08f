"""Argument types shared by the ``ponton`` commands: bounded numbers and non-empty text, refused
by argparse with a usage line (exit 2) rather than by the database with a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ponton.errors import InvalidInputError

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
MAX_LIMIT = 100_000


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


row_id = bounded_int(1, MAX_ID)
row_limit = bounded_int(1, MAX_LIMIT)


def non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def binding_options(text: str) -> dict[str, Any]:
    from ponton.sync.options import parse_binding_options

    try:
        return parse_binding_options(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
