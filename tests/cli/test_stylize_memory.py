"""`animegan stylize --max-memory`: a photo over the budget runs in tiles, says so in one line, keeps its size."""

import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import build_parser, main


def test_memory_sizes_parse_and_bad_ones_are_one_line(capsys):
    args = build_parser().parse_args(["stylize", "in.png", "-o", "out", "--max-memory", "512M"])
    assert args.max_memory == 512 * 1024**2
    assert build_parser().parse_args(["stylize", "in.png", "-o", "out"]).max_memory == 2 * 1024**3
    with pytest.raises(SystemExit):
        build_parser().parse_args(["stylize", "in.png", "-o", "out", "--max-memory", "lots"])
    assert "bad memory size 'lots'" in capsys.readouterr().err


def test_a_photo_over_the_budget_is_tiled_and_keeps_its_size(tmp_path, v2_keras, capsys):
    photo = tmp_path / "wide.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (150, 280, 3), dtype=np.uint8)).save(photo)
    code = main(["stylize", str(photo), "-o", str(tmp_path / "out"), "-m", str(v2_keras), "--max-memory", "1M"])
    err = capsys.readouterr().err
    assert code == 0 and "over the 1.0 MiB budget (--max-memory): stage by stage in strips, exact" in err
    with Image.open(tmp_path / "out" / "wide.png") as out:
        assert out.size == (280, 150) and out.mode == "RGB"


def test_the_budget_reaches_photo_and_video_options_for_plain_runs_and_ray():
    from animegan.cli.stylize import photo_options, video_options

    args = build_parser().parse_args(["stylize", "in.png", "-o", "out", "--max-memory", "512M"])
    assert photo_options(args).max_memory == video_options(args).max_memory == 512 * 1024**2
