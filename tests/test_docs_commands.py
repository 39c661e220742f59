"""Every `animegan ...` command line in README.md and docs/ parses with the real argument parser.

So a renamed or removed option cannot leave the docs stale. Command lines are read from fenced code
blocks (continuation backslashes joined, comments and prompts stripped, `&&`/`|`/`;` chains split).
A synopsis or template line (with `[...]`, `{a,b}`, `A|B`, `...` or a shell `$variable`) is checked option by option: every `--flag` it
names must exist on that subcommand. Any other line must parse exactly as a user would type it.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from animegan.cli.main import build_parser

PROJECT = Path(__file__).resolve().parents[1]
DOCS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("**/*.md"))]
_FENCE = re.compile(r"^```")
_SYNOPSIS = re.compile(r"\[|\{|\.\.\.|\s\|\s|[A-Za-z]\|[A-Za-z\-]|\$\w")


def _blocks(text: str) -> list[list[str]]:
    blocks, current = [], None
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _joined(lines: list[str]) -> list[str]:
    out, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return out


def _commands(line: str) -> list[str]:
    """The `animegan ...` segments of one shell line (prompt, env assignments and paths stripped)."""
    line = line.strip()
    if line.startswith("animegan:"):  # an error message shown as output, not a command
        return []
    line = re.sub(r"^\$\s+", "", line)
    found = []
    for segment in re.split(r"&&|\|\||;|\s\|\s", line):
        words = segment.strip().split()
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            words.pop(0)
        if words and re.fullmatch(r"(\S*/)?animegan", words[0]):
            found.append(" ".join(["animegan", *words[1:]]))
    return found


def _doc_commands() -> list[tuple[str, str]]:
    commands = []
    for doc in DOCS:
        for block in _blocks(doc.read_text(encoding="utf-8")):
            for line in _joined(block):
                commands += [(f"{doc.relative_to(PROJECT)}", c) for c in _commands(line)]
    return commands


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return action.choices[name]
    return None


def _options_of(words: list[str]) -> tuple[argparse.ArgumentParser, set[str]]:
    parser = build_parser()
    known = {o for a in parser._actions for o in a.option_strings}
    for word in words:
        if word.startswith("-"):
            continue
        child = _subparser(parser, word)
        if child is None:
            continue
        parser = child
        known |= {o for a in parser._actions for o in a.option_strings}
    return parser, known


COMMANDS = _doc_commands()


def test_the_docs_hold_commands():
    assert len(COMMANDS) >= 30
    assert {doc for doc, _ in COMMANDS} >= {"README.md", "docs/photos-and-video.md", "docs/training.md"}


@pytest.mark.parametrize("doc,command", COMMANDS, ids=[f"{d}:{c[:60]}" for d, c in COMMANDS])
def test_each_documented_command_parses(doc, command):
    words = shlex.split(command, comments=True)[1:]
    _, known = _options_of(words)
    flags = {w.split("=")[0] for w in words if w.startswith("--")}
    unknown = sorted(flags - known)
    assert not unknown, f"{doc}: `{command}` names options the parser does not have: {unknown}"
    if _SYNOPSIS.search(command):
        return
    try:
        build_parser().parse_args(words)
    except (SystemExit, argparse.ArgumentError) as error:
        pytest.fail(f"{doc}: `{command}` does not parse ({error})")
