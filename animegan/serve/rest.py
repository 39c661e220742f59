"""The plain HTTP API: ``POST /v1/stylize`` (an image in, PNG or JPEG out) and ``GET /v1/models``.

The image is the raw request body (any ``Content-Type``) or the first file field of a
``multipart/form-data`` body; style and options are query parameters. Every refusal is a JSON body
``{"error": "one line"}`` with a 4xx status (429 with ``Retry-After`` when the queue is full). Nothing
a request sends outlives its response: the upload and the result live in a private folder under the
server's temporary folder, removed as soon as the response is built.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from animegan.errors import AnimeGANError
from animegan.serve.errors import RequestError, ServerBusy, status_of
from animegan.serve.jobs import StyleRequest, Stylist
from animegan.serve.limits import check_upload_size
from animegan.serve.uploads import Uploads, safe_name
from animegan.serve.worker import ModelWorker

_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
_MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file in a multipart body


def add_routes(app: FastAPI, stylist: Stylist, worker: ModelWorker, uploads: Uploads) -> None:
    limits = stylist.limits

    @app.get("/v1/models")
    def models() -> dict:
        """The styles this server offers; ``default`` is used when a request names none."""
        return {"default": stylist.styles.default, "styles": [style.as_json() for style in stylist.styles]}

    @app.post("/v1/stylize", response_class=Response)
    async def stylize(
        request: Request,
        style: str | None = Query(None, description="a name from GET /v1/models (default: the server's default)"),
        max_side: int | None = Query(None, ge=1, description="process at most this many pixels on the longer side"),
        tile: int | None = Query(None, ge=16, description="run in overlapping tiles of this size (e.g. 512)"),
        tile_overlap: int = Query(32, ge=1, description="overlap between tiles"),
        format: str = Query("png", description="png or jpg"),
        preserve_colour: bool = Query(False, description="keep the photo's colours (when supported)"),
    ) -> Response:
        """Stylizes one image; the result keeps the image's size (``max_side`` only limits the work size)."""
        wanted = stylist.check(StyleRequest(style, max_side, tile, tile_overlap, format, preserve_colour))
        worker.check_room()  # a full queue refuses before the body is read
        data, name = await _read_image(request, limits.max_upload_bytes)
        future = worker.submit(_stylize, stylist, uploads, data, name, wanted)
        content = await asyncio.wrap_future(future)
        stem = Path(safe_name(name, "image")).stem
        return Response(
            content,
            media_type=_MEDIA_TYPES[wanted.fmt],
            headers={
                "Content-Disposition": f'inline; filename="{stem}.{wanted.fmt}"',
                "X-AnimeGAN-Style": wanted.style or "",
            },
        )

    @app.exception_handler(AnimeGANError)
    async def refused(request: Request, error: AnimeGANError) -> JSONResponse:
        headers = {"Retry-After": "2"} if isinstance(error, ServerBusy) else None
        return JSONResponse({"error": str(error)}, status_code=status_of(error), headers=headers)

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        # A bug, not the request's fault: the client gets JSON too; Starlette then logs the traceback.
        message = f"internal error ({type(error).__name__}); see the server's log"
        return JSONResponse({"error": message}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in error.errors()]
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)


def _stylize(stylist: Stylist, uploads: Uploads, data: bytes, name: str | None, wanted: StyleRequest) -> bytes:
    """On the worker thread: the upload to a file, through the model, the result's bytes; both files removed."""
    with uploads.request_folder() as folder:
        source = uploads.save(folder, data, name)
        output = folder / "result" / f"{source.stem}.{wanted.fmt}"
        stylist.photo(source, output, wanted, name or "the upload")
        return output.read_bytes()


async def _read_image(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The image bytes and file name (None for a raw body), refused past ``limit`` bytes as they arrive."""
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    cap = limit + (_MULTIPART_SLACK if multipart else 0)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        check_upload_size(int(declared), limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            check_upload_size(len(body), limit)
    if multipart:
        data, name = await _file_field(request, bytes(body))
    else:
        data, name = bytes(body), None
    if not data:
        raise RequestError("no image in the request: send the image as the body or as a multipart file field")
    check_upload_size(len(data), limit)
    return data, name


async def _file_field(request: Request, body: bytes) -> tuple[bytes, str | None]:
    """The first file of a multipart body already read into memory."""

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form(max_files=4, max_fields=16) as form:
            for _, value in form.multi_items():
                if isinstance(value, UploadFile):
                    return await value.read(), value.filename
    except MultiPartException as error:
        raise RequestError(f"malformed multipart body: {error.message}") from None
    raise RequestError("the multipart body has no file field: send the image as e.g. -F image=@photo.jpg")
