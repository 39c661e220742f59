"""POST /v1/stylize and GET /v1/models against the session's server: parity with the CLI, every refusal."""

import threading

import numpy as np
import pytest

from animegan.weights.resolve import BUNDLED_DEFAULT

httpx = pytest.importorskip("httpx", reason="the web extra is not installed: pip install 'animegan[web]'")


@pytest.fixture(scope="module")
def http(server):
    # No kept-alive connections: a request must not race the server closing an idle one (uvicorn closes
    # them after 5 s, which a loaded machine can take between two requests: "Connection reset by peer").
    with httpx.Client(base_url=server.url, timeout=120, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        yield client


def test_models_lists_every_style_with_its_licence(http):
    answer = http.get("/v1/models").json()
    names = [style["name"] for style in answer["styles"]]
    assert answer["default"] == "default" == names[0]
    assert {"hayao", "shinkai", "paprika", "face_paint_512_v2"} <= set(names)
    assert all(style["licence"] for style in answer["styles"])


@pytest.mark.parametrize(
    "query, cli_options",
    [
        ({}, ()),
        ({"max_side": 64}, ("--max-side", "64")),
        ({"tile": 64, "tile_overlap": 16}, ("--tile", "64", "--tile-overlap", "16")),
    ],
    ids=["full-size", "max-side", "tiles"],
)
def test_result_equals_animegan_stylize(http, photo, pictures, cli_result, query, cli_options):
    answer = http.post("/v1/stylize", params=query, content=photo.read_bytes())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    np.testing.assert_array_equal(pictures.decoded(answer.content), cli_result(*cli_options))


def test_multipart_upload_and_jpeg_out(http, photo, pictures, cli_result):
    answer = http.post("/v1/stylize", params={"format": "jpg"}, files={"image": ("garden.png", photo.read_bytes())})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg"
    assert 'filename="garden.jpg"' in answer.headers["content-disposition"]
    result = pictures.decoded(answer.content)
    expected = cli_result()
    assert result.shape == expected.shape
    assert np.abs(result.astype(int) - expected).mean() < 3  # JPEG quality 95


BODIES = {
    "photo": lambda photo, pictures: photo.read_bytes(),
    "corrupt": lambda photo, pictures: photo.read_bytes()[:200],  # a PNG cut short
    "text": lambda photo, pictures: b"just some text, no picture",
    "empty": lambda photo, pictures: b"",
    "too-many-bytes": lambda photo, pictures: b"\0" * (pictures.max_upload + 1),
    "2.2-MP": lambda photo, pictures: pictures.png(np.zeros((1500, 1500, 3), np.uint8)),
    "1.2-MP": lambda photo, pictures: pictures.png(np.zeros((1100, 1100, 3), np.uint8)),
}


@pytest.mark.parametrize(
    "body, params, status, words",
    [
        ("corrupt", {}, 400, "cannot read image the upload"),
        ("text", {}, 400, "not a recognised image file"),
        ("empty", {}, 400, "no image in the request"),
        ("too-many-bytes", {}, 413, "the upload is too large"),
        ("2.2-MP", {}, 413, "1500x1500 is 2.2 MP"),
        ("1.2-MP", {}, 413, "too large to run in one piece"),
        ("photo", {"style": "nosuchstyle"}, 400, "unknown style 'nosuchstyle'"),
        ("photo", {"style": str(BUNDLED_DEFAULT)}, 400, "unknown style"),
        ("photo", {"style": "../../etc/passwd"}, 400, "unknown style"),
        ("photo", {"max_side": 0}, 422, "max_side"),
        ("photo", {"format": "gif"}, 400, "unknown format"),
    ],
    ids=["corrupt", "not-an-image", "empty", "too-many-bytes", "too-many-pixels", "work-too-large",
         "unknown-style", "path-as-style", "relative-path-as-style", "bad-option", "bad-format"],
)
def test_bad_requests_get_a_json_error_and_the_server_keeps_serving(http, photo, pictures, body, params, status, words):
    answer = http.post("/v1/stylize", params=params, content=BODIES[body](photo, pictures))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert words in error and "\n" not in error and "Traceback" not in error
    assert str(photo.parent) not in error and "animegan-serve" not in error  # no server paths
    assert http.post("/v1/stylize", params={"max_side": 32}, content=photo.read_bytes()).status_code == 200


def test_a_multipart_body_without_a_file_is_refused(http):
    answer = http.post("/v1/stylize", data={"style": "default"}, files={"note": (None, b"text")})
    assert answer.status_code == 400 and "no file field" in answer.json()["error"]


def test_a_full_queue_answers_429_then_recovers(http, server, photo):
    worker = server.server.worker
    release = threading.Event()
    held = [worker.submit(release.wait) for _ in range(worker.queue_size + 1 - worker.pending)]
    try:
        answer = http.post("/v1/stylize", content=photo.read_bytes())
        assert answer.status_code == 429
        assert answer.headers["retry-after"] and "busy" in answer.json()["error"]
    finally:
        release.set()
        for future in held:
            future.result(timeout=30)
    assert http.post("/v1/stylize", params={"max_side": 32}, content=photo.read_bytes()).status_code == 200


@pytest.mark.parametrize("target", ["/etc/passwd", "pyproject.toml", "animegan/assets/default.tflite"])
def test_gradio_serves_no_file_of_the_server(http, target):
    from pathlib import Path

    path = Path(target) if target.startswith("/") else Path(__file__).resolve().parents[2] / target
    assert http.get(f"/gradio_api/file={path}").status_code == 403


def test_nothing_a_request_sent_is_kept(http, server, photo):
    assert http.post("/v1/stylize", content=photo.read_bytes()).status_code == 200
    assert http.post("/v1/stylize", content=b"garbage").status_code == 400
    assert list(server.server.uploads.rest.iterdir()) == []


def test_a_bug_is_a_json_500_and_the_server_keeps_serving(http, server, photo, monkeypatch):
    def broken(*args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(server.server.stylist, "photo", broken)
    answer = http.post("/v1/stylize", content=photo.read_bytes())
    assert answer.status_code == 500 and "ZeroDivisionError" in answer.json()["error"]
    monkeypatch.undo()
    assert http.post("/v1/stylize", params={"max_side": 32}, content=photo.read_bytes()).status_code == 200
