"""Gradio's own API through gradio_client: the same pixels as the CLI, clear errors, no upload kept."""

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    client = gradio_client.Client(server.url, verbose=False, download_files=str(tmp_path_factory.mktemp("client")))
    yield client
    client.close()


def _stylize(client, path, style="default", max_side=0, tile=0, fmt="png"):
    return client.predict(
        gradio_client.handle_file(str(path)), style, max_side, tile, fmt, False, api_name="/stylize_image"
    )


def test_api_lists_the_stylize_image_endpoint(client):
    assert "/stylize_image" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_result_equals_animegan_stylize(client, photo, cli_result):
    result = _stylize(client, photo, max_side=64)
    np.testing.assert_array_equal(np.asarray(Image.open(result).convert("RGB")), cli_result("--max-side", "64"))


def test_uploads_are_deleted_once_read(client, server, pictures, tmp_path):
    photo = tmp_path / "only-here.png"
    photo.write_bytes(pictures.png(pictures.photo_like(40, 56, seed=11)))
    result = _stylize(client, photo, max_side=48)
    assert Image.open(result).size == (56, 40)
    uploads = server.server.uploads
    sent = photo.read_bytes()
    assert not any(p.read_bytes() == sent for p in uploads.root.rglob("*") if p.is_file())
    assert not list(uploads.gradio.rglob("only-here.png"))
    assert list(uploads.rest.iterdir()) == []


@pytest.mark.parametrize(
    "content, style, words",
    [(b"not a picture", "default", "not a recognised image file"), (None, "nosuchstyle", "nosuchstyle")],
    ids=["not-an-image", "unknown-style"],
)
def test_errors_reach_the_client_in_one_line(client, photo, tmp_path, content, style, words):
    path = photo
    if content is not None:
        path = tmp_path / "fake.png"
        path.write_bytes(content)
    with pytest.raises(gradio_client.exceptions.AppError) as caught:
        _stylize(client, path, style=style)
    assert words in str(caught.value)
    assert "Traceback" not in str(caught.value)
