"""The web page: drop photos or a video, pick styles, compare before and after, download the results.

One function builds the ``gr.Blocks``; its handlers call the same ``Stylist`` as the REST API, through
the same ``ModelWorker``. The page's uploads are deleted once stylized (the drop zone empties); what it
shows back lives in Gradio's cache under ``results/`` until ``--keep-results`` runs out. ``stylize_image``
is a small API for ``gradio_client``: one photo and one style in, the result file out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from animegan.data.images import IMAGE_EXTENSIONS
from animegan.inference.inputs import VIDEO_EXTENSIONS, is_video
from animegan.serve.errors import RequestError
from animegan.serve.jobs import COLOUR_SUPPORTED, StyleRequest, Stylist, display_copy
from animegan.serve.limits import largest_tile, megabytes
from animegan.serve.uploads import Uploads, safe_name
from animegan.serve.worker import ModelWorker

DISPLAY_SIDE = 1600  # the before/after pair is shown at most this large; downloads keep the full size
PAGE_TILE = 512
WORK_SIZES = [("768 px", 768), ("1024 px", 1024), ("1536 px", 1536), ("2048 px", 2048), ("Full size", 0)]

CSS = """
.gradio-container { max-width: 1240px !important; width: 100% !important; margin: auto !important; }
#hero h1 { font-size: 2rem; font-weight: 600; letter-spacing: -0.01em; margin: 0.2em 0 0; }
#hero p { margin: 0.2em 0 0.6em; opacity: 0.8; }
#licence { font-size: 0.85rem; opacity: 0.85; }
#status { min-height: 1.5em; }
"""


def theme() -> gr.themes.Base:
    """Gradio's default theme in warmer colours, with fonts Gradio serves itself (no font CDN).

    Bold is Source Sans Pro's 700 file: Gradio's 600 ("SemiBold") file is a small subset without most
    capitals, which the browser then draws in a fallback font.
    """
    font = [gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
    return gr.themes.Default(
        primary_hue="rose", secondary_hue="violet", neutral_hue="slate", radius_size="lg", font=font
    )


@dataclass
class Results:
    """What one press of Stylize made: pairs to show, files to download, one-line failures."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (before, after, caption)
    downloads: list[str] = field(default_factory=list)
    video: str | None = None
    failures: list[str] = field(default_factory=list)


class Page:
    def __init__(self, stylist: Stylist, worker: ModelWorker, uploads: Uploads):
        self.stylist = stylist
        self.worker = worker
        self.uploads = uploads

    def licence_note(self, names: list[str] | str | None) -> str:
        lines = []
        for name in [names] if isinstance(names, str) else names or []:
            try:
                style = self.stylist.styles.get(name)
            except RequestError:
                continue
            download = " · downloaded on first use" if style.needs_download else ""
            lines.append(f"**{style.name}**: {style.description}{download}  \nLicence: {style.licence}")
        return "\n\n".join(lines) or "Pick at least one style."

    def stylize(self, files, styles, work, tiles, fmt, colour, progress=gr.Progress()):
        """The page's button: every photo (or the video) in every chosen style."""
        started = time.perf_counter()
        paths = [Path(f) for f in files or []]
        try:
            if not paths:
                raise RequestError("drop a photo or a video first")
            if not styles:
                raise RequestError("pick at least one style")
            videos = [p for p in paths if is_video(p)]
            if len(videos) > 1 or (videos and len(paths) > 1):
                raise RequestError("drop one video at a time, or photos only")
            tile = PAGE_TILE if tiles else None
            requests = [
                self.stylist.check(StyleRequest(s, int(work) or None, tile, fmt=fmt, preserve_colour=bool(colour)))
                for s in styles
            ]
            results = Results()
            if videos:
                self._video(videos[0], requests, results, progress)
            else:
                self._photos(paths, requests, results, progress)
        except RequestError as error:
            raise gr.Error(str(error), print_exception=False) from None
        finally:
            for path in paths:
                self.uploads.discard(path)
        return self._shown(results, time.perf_counter() - started)

    def _photos(self, paths: list[Path], requests: list[StyleRequest], results: Results, progress) -> None:
        total = len(paths) * len(requests)
        for index, (path, request) in enumerate((p, r) for p in paths for r in requests):
            name = path.name
            progress((index, total), desc=f"{name} · {request.style}", unit="photos")
            try:
                before, after, output = self.worker.run(self._photo_job, path, request, name, True)
            except RequestError as error:
                results.failures.append(str(error))
                continue
            results.pairs.append((before, after, f"{name} · {request.style}"))
            results.downloads.append(output)

    def _photo_job(self, path: Path, request: StyleRequest, name: str, previews: bool) -> tuple[str, str, str]:
        """On the worker thread: the result file and, for the slider, display-sized before and after JPEGs."""
        folder = self.uploads.result_folder()
        output = folder / f"{Path(safe_name(name)).stem}-{request.style}.{request.fmt}"
        self.stylist.photo(path, output, request, name)
        if not previews:
            return "", "", str(output)
        before, after = folder / "before.jpg", folder / "after.jpg"
        display_copy(path, before, DISPLAY_SIDE)
        display_copy(output, after, DISPLAY_SIDE)
        return str(before), str(after), str(output)

    def _video(self, path: Path, requests: list[StyleRequest], results: Results, progress) -> None:
        name = path.name
        for request in requests:
            folder = self.uploads.result_folder()
            output = folder / f"{Path(safe_name(name)).stem}-{request.style}.mp4"
            label = f"{name} · {request.style}"

            def bar(total: int | None, _name: str, label: str = label) -> _FrameProgress:
                return _FrameProgress(progress, total, label, self.worker.stopping)

            try:
                result = self.worker.run(self.stylist.video, path, output, request, name, bar)
            except RequestError as error:
                results.failures.append(str(error))
                continue
            if result.problem:
                results.failures.append(
                    f"{name} could not be read to its end ({result.problem}); the {result.frames} frames read "
                    "are in the result"
                )
            results.video = results.video or str(output)
            results.downloads.append(str(output))

    def _shown(self, results: Results, seconds: float):
        """The outputs' new values: the first pair in the slider, the rest in the gallery, every download."""
        if not results.downloads:
            raise gr.Error(" · ".join(results.failures) or "nothing was stylized", print_exception=False)
        for failure in results.failures:
            gr.Warning(failure)
        made = len(results.downloads)
        status = f"{made} result{'s' * (made != 1)} in {seconds:.1f} s"
        if results.failures:
            status += f" · {len(results.failures)} failed"
        first = results.pairs[0][:2] if results.pairs else None
        gallery = [(after, caption) for _, after, caption in results.pairs]
        return (
            first,
            gr.update(value=gallery, visible=len(gallery) > 1),
            gr.update(value=results.video, visible=results.video is not None),
            gr.update(value=results.downloads, visible=True),
            results.pairs,
            None,  # the drop zone empties: its files are deleted
            status,
        )

    def api_stylize_image(self, photo, style, max_side, tile, fmt, preserve_colour):
        """One photo in one style; returns the result file (PNG or JPEG, the photo's size)."""
        if not photo:
            raise gr.Error("no photo given", print_exception=False)
        path = Path(photo)
        try:
            wanted = StyleRequest(
                style or None, int(max_side or 0) or None, int(tile or 0) or None, fmt=fmt or "png",
                preserve_colour=bool(preserve_colour),
            )
            request = self.stylist.check(wanted)
            _, _, output = self.worker.run(self._photo_job, path, request, path.name, False)
        except RequestError as error:
            raise gr.Error(str(error), print_exception=False) from None
        finally:
            self.uploads.discard(path)
        return output


class _FrameProgress:
    """``inference.video``'s progress bar, drawn by Gradio (frames done of the frames expected).

    It is also where a video notices that the server is stopping: the error ends the job, and
    ``stylize_video`` removes its half-written output.
    """

    def __init__(self, progress, total: int | None, label: str, stopping: threading.Event):
        self.progress, self.total, self.label, self.stopping = progress, total, label, stopping
        self.done, self.shown = 0, 0.0
        progress((0, total), desc=label, unit="frames")

    def __enter__(self) -> _FrameProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int) -> None:
        if self.stopping.is_set():
            raise RequestError("the server is stopping", 503)
        self.done += n
        now = time.monotonic()
        if now - self.shown > 0.25:  # a few updates a second are enough to watch
            self.shown = now
            self.progress((self.done, self.total), desc=self.label, unit="frames")


HERO = (
    "<h1>AnimeGAN</h1><p>Turn your photos and short videos into anime and other styles. "
    "Everything runs on the machine serving this page.</p>"
)


def build_page(stylist: Stylist, worker: ModelWorker, uploads: Uploads, keep_results: int) -> gr.Blocks:
    """The page and its ``stylize_image`` API; Gradio's own queue bounds the page's waiting events."""
    page = Page(stylist, worker, uploads)
    # Gradio deletes its files (results, uploads never stylized) older than keep_results, checking each minute.
    expiry = (max(1, min(60, keep_results)), keep_results)
    with gr.Blocks(title="AnimeGAN", fill_width=True, analytics_enabled=False, delete_cache=expiry) as demo:
        gr.HTML(HERO, elem_id="hero")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=320):
                files, chosen, options, run = _inputs(page)
            with gr.Column(scale=7, min_width=320):
                slider, status, gallery, video, downloads = _outputs()
        pairs = gr.State([])
        run.click(
            page.stylize,
            [files, chosen, *options],
            [slider, gallery, video, downloads, pairs, files, status],
            api_visibility="private",
            concurrency_id="model",
            scroll_to_output=True,
        )

        def show_pair(shown: list, event: gr.SelectData):
            return tuple(shown[event.index][:2])

        gallery.select(show_pair, pairs, slider, queue=False, api_visibility="private")
        _api(page)
    return demo


def _inputs(page: Page):
    """The left column: drop zone, styles with their licences, options, the button, the limits."""
    styles, limits = page.stylist.styles, page.stylist.limits
    files = gr.File(
        label="Photos or a short video",
        file_count="multiple",
        file_types=sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS),
        type="filepath",
        height=150,
        elem_id="drop",
    )
    chosen = gr.Dropdown(
        [(style.label, style.name) for style in styles], value=[styles.default], multiselect=True,
        label="Styles", info="pick several to compare them", elem_id="styles",
    )
    note = gr.Markdown(page.licence_note([styles.default]), elem_id="licence")
    chosen.change(page.licence_note, chosen, note, queue=False, api_visibility="private")
    with gr.Accordion("Options", open=False):
        work = gr.Radio(
            WORK_SIZES, value=1024, label="Work size",
            info="the longest side the model sees; results keep your photo's size",
        )
        tiles = gr.Checkbox(
            label=f"Tiles for big photos ({PAGE_TILE} px)", info="full detail with little memory; slower"
        )
        colour = gr.Checkbox(label="Keep the photo's colours", visible=COLOUR_SUPPORTED)
        fmt = gr.Radio([("PNG", "png"), ("JPEG", "jpg")], value="png", label="Download as")
    run = gr.Button("Stylize", variant="primary", size="lg", elem_id="run")
    gr.Markdown(
        f"Up to {megabytes(limits.max_upload_bytes)} and {limits.max_pixels / 1e6:.0f} MP a photo, "
        f"{limits.max_video_seconds:g} s of video. Uploads are deleted once stylized.",
        elem_id="limits",
    )
    return files, chosen, (work, tiles, fmt, colour), run


def _outputs():
    """The right column: the before/after slider, a status line, the other results, the downloads."""
    slider = gr.ImageSlider(
        label="Before / after", type="filepath", interactive=False, max_height=640, elem_id="slider"
    )
    status = gr.Markdown("", elem_id="status")
    gallery = gr.Gallery(label="All results", visible=False, columns=4, height="auto", elem_id="gallery")
    video = gr.Video(label="Stylized video", visible=False, interactive=False, elem_id="video")
    downloads = gr.File(
        label="Download", file_count="multiple", interactive=False, visible=False, elem_id="downloads"
    )
    return slider, status, gallery, video, downloads


def _api(page: Page) -> None:
    """``/stylize_image`` for gradio_client, on components that are never shown."""
    names = ", ".join(style.name for style in page.stylist.styles)
    with gr.Column(visible=False):
        photo = gr.File(label="photo", type="filepath")
        # Text, not a menu: a wrong value then gets the server's own one-line error (GET /v1/models lists them).
        style = gr.Textbox(page.stylist.styles.default, label=f"style ({names})")
        max_side = gr.Number(0, label="max_side (0: full size)", precision=0, minimum=0)
        largest = largest_tile(page.stylist.limits)
        tile = gr.Number(0, label=f"tile (0: none; at most {largest})", precision=0, minimum=0)
        fmt = gr.Textbox("png", label="format (png or jpg)")
        colour = gr.Checkbox(False, label="preserve_colour")
        result = gr.File(label="result")
        button = gr.Button()
    button.click(
        page.api_stylize_image,
        [photo, style, max_side, tile, fmt, colour],
        result,
        api_name="stylize_image",
        concurrency_id="model",
    )
