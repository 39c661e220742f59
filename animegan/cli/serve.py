"""``animegan serve``: a local web page and HTTP API to stylize photos and videos (needs the web extra)."""

from __future__ import annotations

from pathlib import Path

from animegan.cli.arguments import memory_size, non_negative_int, positive_float, positive_int

_DESCRIPTION = (
    "Serve a web page where you drop photos or a short video, pick styles and download the results, and an "
    "HTTP API on the same port: POST /v1/stylize (image bytes or multipart in, PNG or JPEG out), "
    "GET /v1/models, and Gradio's own API for gradio_client. Works offline: no analytics, no CDN, no share "
    "link. Listens on 127.0.0.1 (this computer only) unless --host says otherwise. Uploads are deleted once "
    "stylized. Needs: pip install 'animegan[web]'."
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="a local web page and HTTP API (pip install 'animegan[web]')",
                                   description=_DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: every network "
                        "interface, with no login)")
    parser.add_argument(
        "--port", type=non_negative_int, default=7860, metavar="N", help="port (default 7860; 0: any free port)"
    )
    parser.add_argument(
        "-m", "--model", action="append", default=[], metavar="[NAME=]MODEL",
        help="also offer this model (repeatable): a .keras, .tflite or SavedModel path, named NAME (default: the "
        "file's stem), or a pretrained style's name; the first one is the page's default style. The bundled "
        "default and the pretrained styles (see --no-download) are offered as well",
    )
    parser.add_argument("--no-download", dest="downloads", action="store_false",
                        help="offer only pretrained styles already in the cache (default: also those downloaded "
                        "on first use)")
    parser.add_argument(
        "--threads", type=positive_int, metavar="N", help="CPU threads for a .tflite model (default: all cores)"
    )
    parser.add_argument("--queue-size", type=non_negative_int, default=32, metavar="N",
                        help="requests that may wait behind the running one; more get HTTP 429 (default 32)")
    parser.add_argument("--loaded-models", type=positive_int, default=2, metavar="N",
                        help="models kept loaded in memory at once (default 2)")
    parser.add_argument("--max-upload-mb", type=positive_float, default=25.0, metavar="MB",
                        help="largest upload in MB (default 25)")
    parser.add_argument("--max-megapixels", type=positive_float, default=24.0, metavar="MP",
                        help="largest photo in megapixels, read from its header before decoding (default 24)")
    parser.add_argument("--max-work-megapixels", type=positive_float, default=1.05, metavar="MP",
                        help="most pixels run through the model in one piece (default 1.05, about 1024x1024; "
                        "about 2 GB of memory with the bundled model); larger work sizes need max_side or tiles")
    parser.add_argument("--max-memory", type=memory_size, default="2G", metavar="SIZE",
                        help="memory budget of one photo or video frame, as `animegan stylize --max-memory`: "
                        "more runs in pieces that keep the whole image's picture (default 2G)")
    parser.add_argument("--max-video-seconds", type=positive_float, default=30.0, metavar="SECONDS",
                        help="longest video accepted (default 30)")
    parser.add_argument("--keep-results", type=positive_int, default=600, metavar="SECONDS",
                        help="how long the page's results stay downloadable (default 600)")
    parser.add_argument("--keep-uploads", type=Path, metavar="DIR",
                        help="keep a copy of every upload in DIR (default: nothing uploaded is kept)")
    parser.set_defaults(run=run)


def settings_from(args):
    from animegan.serve.settings import Limits, ServeSettings

    limits = Limits(
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        max_pixels=int(args.max_megapixels * 1e6),
        max_work_pixels=int(args.max_work_megapixels * 1e6),
        max_video_seconds=args.max_video_seconds,
        max_memory=args.max_memory,
    )
    return ServeSettings(
        host=args.host,
        port=args.port,
        models=tuple(args.model),
        downloads=args.downloads,
        threads=args.threads,
        queue_size=args.queue_size,
        loaded_models=args.loaded_models,
        limits=limits,
        keep_results=args.keep_results,
        keep_uploads=args.keep_uploads,
    )


def run(args) -> int:
    from animegan.serve.app import require_web_extra, serve

    require_web_extra()
    serve(settings_from(args))
    return 0
