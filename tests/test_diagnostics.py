"""Diagnostics as a compiler prints them: caret, several errors at once, colour, JSON."""

from __future__ import annotations

import json

import pytest

from archgen.cli import main
from archgen.errors import Loc, SpecError
from tests.conftest import write_spec

THREE_TYPOS = """archgen: 1
name: t
input: [32, 32, 3]
blocks:
  unit:
    args: {filters: required}
    seq: [conv2d: {filters: $filtres, kernel: 3}, relu]
model:
  - unit: {filters: 8}
  - conv2: {filters: 8, kernel: 3}
  - dense: {units: 10, activaton: relu}
"""


@pytest.fixture
def typos(tmp_path):
    return write_spec(tmp_path, THREE_TYPOS)


def test_every_error_of_a_file_in_one_run(typos, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["check", str(typos)]) == 1
    err = capsys.readouterr().err
    assert err.count(": error: ") == 3
    assert f"{typos}:7:29: error: '$filtres' is not defined here" in err
    assert f"{typos}:10:5: error: unknown op or block 'conv2'" in err
    assert f"{typos}:11:24: error: 'dense' has no argument 'activaton'" in err
    assert "hint: did you mean 'activation'?" in err


def test_caret_sits_under_the_column(typos, capsys):
    main(["check", str(typos)])
    lines = capsys.readouterr().err.splitlines()
    source = lines.index("   10 |   - conv2: {filters: 8, kernel: 3}")
    caret = lines[source + 1]
    assert caret.endswith("^")
    # the caret's column in the source text equals the error's column (5)
    assert caret.index("^") - caret.index("|") - 2 + 1 == 5


def test_plain_text_when_not_a_terminal_and_colour_on_a_terminal(typos, capsys, monkeypatch):
    main(["check", str(typos)])
    assert "\033[" not in capsys.readouterr().err  # pytest's capture is not a terminal

    class Terminal:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, text):
            self.text += text

        def flush(self):
            pass

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["check", str(typos)])
    assert "\033[1;31merror\033[0m" in terminal.text
    terminal.text = ""
    monkeypatch.setenv("NO_COLOR", "1")
    main(["check", str(typos)])
    assert "\033[" not in terminal.text and ": error: " in terminal.text


def test_json_format_for_tools(typos, capsys, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("archgen: 1\nname: g\ninput: [8, 8, 3]\nmodel: [flatten, dense: {units: 2}]\n")
    assert main(["check", str(typos), str(good), "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in records] == [False, True]
    assert [(e["line"], e["column"]) for e in records[0]["errors"]] == [(7, 29), (10, 5), (11, 24)]
    assert records[0]["errors"][2]["hint"] == "did you mean 'activation'?"
    assert records[1]["params"] == 8 * 8 * 3 * 2 + 2


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["summary", "x.yaml", "--format", "xml"])
    assert info.value.code == 2


def test_a_missing_file_is_named_and_exits_4(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["check", str(missing)]) == 4  # the environment, not an invalid spec
    assert f"{missing}: error: cannot read the file" in capsys.readouterr().err


def test_colour_codes_are_archgen_s_own_never_a_file_name_s():
    """With colour on, the only escape sequences are the colours: the file name, the
    message, the scope and the hint are shown escaped."""
    error = SpecError(
        "cannot read b\x1b]0;title\x07.yaml",
        Loc("a\x1b[2J.yaml", 3, 1),
        scope="x\x1b[1m",
        hint="see c\u202e.yaml\n  - repeat: 3",
    )
    text = error.render(color=True)
    for paint in ("\x1b[1m", "\x1b[1;31m", "\x1b[0m", "\x1b[36m"):
        text = text.replace(paint, "")
    assert not any(c in text for c in "\x1b\x07\u202e"), text
    assert "a\\x1b[2J.yaml:3:1: error: cannot read b\\x1b]0;title\\x07.yaml" in text
    assert "  in: x\\x1b[1m" in text
    assert "see c\\u202e.yaml\n  - repeat: 3" in text  # a hint keeps its own lines
