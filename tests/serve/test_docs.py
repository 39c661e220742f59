"""docs/serve.md: every `animegan ...` command it shows parses with the real CLI parser."""

import shlex
from pathlib import Path

import pytest

from animegan.cli.main import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "serve.md"


def _commands() -> list[str]:
    lines, in_code = [], False
    for line in DOC.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif in_code and line.startswith("animegan ") and not line.startswith("animegan: "):
            lines.append(line)
    return lines


def test_the_page_shows_commands():
    assert len(_commands()) >= 4


@pytest.mark.parametrize("command", _commands())
def test_each_command_parses(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == "serve"
