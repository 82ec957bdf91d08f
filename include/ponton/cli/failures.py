"""How the ``ponton`` command ends when something goes wrong: one line on stderr, never a traceback.

Exit 2 for bad input, configuration or an unusable platform database; the command itself returns
1 for "found problems" (``doctor``, ``db status``). Database errors are described without the SQL
statement or its parameters, which may hold personal data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ponton.errors import PontonError

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def run_command(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    try:
        return int(func(args) or 0)
    except PontonError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        message = describe_database_error(exc)
        if message is None:
            raise
        return _fail(message)


def describe_database_error(exc: BaseException) -> str | None:
    """One line for a SQLAlchemy, driver or migration error; None when ``exc`` is anything else."""
    from alembic.util import CommandError  # imported only on failure: start-up stays light
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, CommandError):
        return f"the platform DB cannot be migrated ({exc}); is it at a revision of a newer ponton?"
    if not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [cause.__class__.__name__])[0]
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return (
            f"cannot use the platform DB ({first}); check PONTON_PLATFORM_DB_URL or the "
            "ponton_platform connection, and that the server is running"
        )
    return f"the platform DB refused the operation ({cause.__class__.__name__}: {first})"


def _fail(message: str) -> int:
    print(f"ponton: {message}", file=sys.stderr)
    return EXIT_ERROR
