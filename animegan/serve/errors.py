"""Errors a request can meet: a one-line message and the HTTP status the REST API answers with."""

from __future__ import annotations

from animegan.errors import AnimeGANError


class RequestError(AnimeGANError):
    """A request the server refuses (bad upload, unknown style, limit passed); ``status`` is its HTTP code."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class ServerBusy(RequestError):
    """Every queue place is taken; the client should retry later (HTTP 429)."""

    status = 429


def status_of(error: AnimeGANError) -> int:
    """The HTTP status for a project error: its own for a ``RequestError``, else 422 (the input is at fault)."""
    return error.status if isinstance(error, RequestError) else 422
