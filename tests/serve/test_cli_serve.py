"""`animegan serve` on the command line: its help, its one-line errors, and a real run stopped by SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest

from animegan.cli.main import build_parser, main
from animegan.serve.app import start_line

ROOT = Path(__file__).resolve().parents[2]


def _serve_parser():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return subparsers.choices["serve"]


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["serve", "--help"])
    assert exit.value.code == 0
    shown = capsys.readouterr().out
    for action in _serve_parser()._actions:
        assert action.help, f"{action.option_strings} has no help"
        for option in action.option_strings:
            assert option in shown
    assert "127.0.0.1" in shown and "pip install 'animegan[web]'" in shown


def test_options_become_settings():
    from animegan.cli.serve import settings_from

    args = build_parser().parse_args(
        ["serve", "--port", "0", "-m", "a=x.tflite", "-m", "hayao", "--max-upload-mb", "2", "--no-download",
         "--max-work-megapixels", "0.5", "--queue-size", "3", "--max-memory", "512M"]
    )
    settings = settings_from(args)
    assert settings.limits.max_memory == 512 * 1024**2
    assert settings_from(build_parser().parse_args(["serve"])).limits.max_memory == 2 * 1024**3
    assert settings.host == "127.0.0.1" and settings.port == 0
    assert settings.models == ("a=x.tflite", "hayao") and settings.downloads is False
    assert settings.limits.max_upload_bytes == 2 * 1024 * 1024 and settings.limits.max_work_pixels == 500_000
    assert settings.queue_size == 3


def test_the_start_line_says_who_can_reach_the_server():
    assert "this computer only" in start_line("127.0.0.1", 7860)
    assert "reachable from other machines" in start_line("0.0.0.0", 7860)


def test_without_the_web_extra_it_is_one_line(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a))
    assert main(["serve"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "animegan: error: animegan serve needs gradio: pip install 'animegan[web]'"


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", "--port", str(taken.getsockname()[1])]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("animegan: error: cannot listen on 127.0.0.1:") and "--port" in err and "\n" not in err


def test_help_does_not_import_gradio():
    code = "import sys; from animegan.cli.main import build_parser; build_parser(); print('gradio' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert answer.stdout.strip() == "False"


@pytest.mark.slow
def test_a_real_server_answers_and_cleans_up_on_sigterm(tmp_path):
    pytest.importorskip("gradio", reason="the web extra is not installed: pip install 'animegan[web]'")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path), "ANIMEGAN_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "animegan", "serve", "--port", "0", "--no-download"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = process.stderr.readline()
        assert line.startswith("animegan: serving on http://127.0.0.1:") and "this computer only" in line
        url = line.split()[3]
        with urlopen(f"{url}/v1/models", timeout=30) as answer:
            assert [s["name"] for s in json.load(answer)["styles"]] == ["default"]
        assert list(tmp_path.glob("animegan-serve-*"))  # its temporary folder, while it runs
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
    assert "interrupted" in process.stderr.read()
    assert list(tmp_path.glob("animegan-serve-*")) == []


def test_the_servers_memory_budget_reaches_the_photo_and_video_loops(tmp_path, monkeypatch):
    """What `animegan stylize --max-memory` does to a photo, `serve --max-memory` does to an upload."""
    from animegan.serve import jobs
    from animegan.serve.jobs import StyleRequest, Stylist
    from animegan.serve.settings import Limits
    from animegan.serve.styles import StyleRegistry
    from animegan.weights.resolve import BUNDLED_DEFAULT
    from PIL import Image

    seen = []

    def run_photos(backend, photo_jobs, options):
        seen.append(options.max_memory)
        return real(backend, photo_jobs, options)

    real = jobs.run_photos
    monkeypatch.setattr(jobs, "run_photos", run_photos)
    styles = StyleRegistry([f"copy={BUNDLED_DEFAULT}"], downloads=False)
    stylist = Stylist(styles, Limits(max_memory=64 * 1024**2))
    Image.new("RGB", (40, 30), (120, 80, 40)).save(tmp_path / "in.png")
    stylist.photo(tmp_path / "in.png", tmp_path / "out.png", stylist.check(StyleRequest()), "in.png")
    assert seen == [64 * 1024**2] and Image.open(tmp_path / "out.png").size == (40, 30)
    assert StyleRequest().video_options(123).max_memory == 123
