"""Where a Ray job's files live: local paths (``file://`` URIs included) or URIs such as ``s3://``, ``gs://``.

Local inputs are planned by ``animegan.inference.inputs.expand_inputs``, as plain ``stylize`` plans them:
the same files, the same output names and sub-folders. Any other URI is opened with pyarrow's filesystem
layer, the one Ray Data reads with (credentials come from each machine's environment, as for Ray). A
worker stages a remote file in a scratch folder, stylizes it with the same function as a local one, and
uploads the result; an object store shows an upload only once it is complete.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from animegan.atomic import open_for_writing
from animegan.errors import AnimeGANError
from animegan.inference.inputs import MEDIA_EXTENSIONS, Job, expand_inputs, is_video, output_name

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_COPY_CHUNK = 8 << 20


@dataclass(frozen=True)
class Task:
    """One input of a job and where its result goes: each a local path or a URI."""

    source: str
    output: str
    video: bool


@dataclass(frozen=True)
class Plan:
    tasks: list[Task]
    missing: list[str]  # INPUT arguments that matched nothing


def is_remote(text: str) -> bool:
    """A URI other than ``file://`` (those are local paths)."""
    return bool(_URI.match(text)) and not text.startswith("file://")


def local_path(text: str) -> str:
    """``file:///a/b`` as ``/a/b``; anything else unchanged."""
    return unquote(urlparse(text).path) if text.startswith("file://") else text


def open_uri(uri: str):
    """(pyarrow filesystem, path inside it) for a URI; one line when pyarrow cannot open it."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(uri)
    except (ValueError, OSError) as error:
        raise AnimeGANError(f"cannot open {uri}: {_first_line(error)}") from None


def join(folder: str, relative: Path) -> str:
    if is_remote(folder):
        return folder.rstrip("/") + "/" + PurePosixPath(relative).as_posix()
    return str(Path(local_path(folder)) / relative)


def plan(arguments: list[str], output: str, fmt: str = "png") -> Plan:
    """Every input file with its output, local ones exactly as ``expand_inputs`` plans them."""
    local = [local_path(a) for a in arguments if not is_remote(a)]
    expansion = expand_inputs(local, "", fmt)  # outputs relative to the output folder
    tasks = [Task(str(job.source), join(output, job.output), is_video(job.source)) for job in expansion.jobs]
    missing = list(expansion.missing)
    for uri in (a for a in arguments if is_remote(a)):
        found = _remote_sources(uri)
        if not found:
            missing.append(uri)
        for source, relative in found:
            tasks.append(Task(source, join(output, output_name(relative, fmt)), is_video(relative)))
    return Plan(tasks, missing)


def _remote_sources(uri: str) -> list[tuple[str, PurePosixPath]]:
    """(URI of each file, name relative to the output folder) for a remote file or folder."""
    from pyarrow import fs

    filesystem, root = open_uri(uri)
    try:
        info = filesystem.get_file_info(root)
        if info.type == fs.FileType.File:
            return [(uri, PurePosixPath(PurePosixPath(root).name))]
        if info.type != fs.FileType.Directory:
            return []
        entries = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    except OSError as error:
        raise AnimeGANError(f"cannot list {uri}: {_first_line(error)}") from None
    base = PurePosixPath(root)
    names = sorted(
        PurePosixPath(e.path).relative_to(base)
        for e in entries
        if e.type == fs.FileType.File and Path(e.path).suffix.lower() in MEDIA_EXTENSIONS
    )
    return [(join(uri, name), name) for name in names]


def exists(place: str) -> bool:
    if not is_remote(place):
        return Path(place).exists()
    from pyarrow import fs

    filesystem, path = open_uri(place)
    return filesystem.get_file_info(path).type != fs.FileType.NotFound


@contextmanager
def local_job(task: Task, cwd: str | Path) -> Iterator[Job]:
    """The task as a ``Job`` on local paths (relative ones taken from the driver's ``cwd``: a worker
    runs elsewhere): a remote source is downloaded to a scratch folder first, and a remote output is
    uploaded when the block leaves it written."""
    if not (is_remote(task.source) or is_remote(task.output)):
        yield Job(Path(cwd) / task.source, Path(cwd) / task.output)
        return
    scratch = Path(tempfile.mkdtemp(prefix="animegan-stage-"))
    try:
        source = Path(cwd) / task.source
        if is_remote(task.source):
            source = scratch / "in" / PurePosixPath(urlparse(task.source).path).name
            _download(task.source, source)
        output = Path(cwd) / task.output
        if is_remote(task.output):
            output = scratch / "out" / PurePosixPath(urlparse(task.output).path).name
        yield Job(source, output)
        if is_remote(task.output) and output.is_file():
            _upload(output, task.output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _download(uri: str, target: Path) -> None:
    filesystem, path = open_uri(uri)
    try:
        with filesystem.open_input_stream(path) as remote, open_for_writing(target) as local:
            shutil.copyfileobj(remote, local, _COPY_CHUNK)
    except OSError as error:
        raise AnimeGANError(f"cannot read {uri}: {_first_line(error)}") from None


def _upload(local: Path, uri: str) -> None:
    filesystem, path = open_uri(uri)
    try:
        parent = str(PurePosixPath(path).parent)
        filesystem.create_dir(parent, recursive=True)
        with open(local, "rb") as source, filesystem.open_output_stream(path) as remote:
            shutil.copyfileobj(source, remote, _COPY_CHUNK)
    except OSError as error:
        raise AnimeGANError(f"cannot write {uri}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
