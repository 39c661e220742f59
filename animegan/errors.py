"""The one exception type for user errors.

The CLI prints its message as one line and exits non-zero; anything else is a bug and keeps its traceback.
"""


class AnimeGANError(Exception):
    """A problem with the user's input (a path, a file, a flag), explained in one line."""
