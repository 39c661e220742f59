"""The one exception type for user errors, and how one failed item of a batch is told.

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging


class AnimeGANError(Exception):
    """A problem with the user's input (a path, a file, a flag), explained in one line."""


def item_failure(item, error: BaseException) -> str:
    """Why ``item`` of a batch failed, in one line; the batch goes on with the next item.

    A user error is its message; anything else (a bug, an odd library error) is its type and first line,
    and its traceback goes to the ``animegan`` logger at DEBUG level, which ``animegan --debug`` shows.
    """
    if isinstance(error, AnimeGANError):
        return str(error)
    logging.getLogger("animegan").debug("%s failed", item, exc_info=error)
    lines = str(error).strip().splitlines()
    return f"unexpected {type(error).__name__}" + (f": {lines[0]}" if lines else "")
