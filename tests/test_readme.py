"""The prose keeps up with the code: README.md, docs/*.md and the package docstring."""

from __future__ import annotations

import argparse
import doctest
import re

import pytest

import archgen
from archgen import cli
from archgen.limits import MAX_EXTENDS_DEPTH
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SECURITY = (ROOT / "docs" / "security.md").read_text()
SPEC_LANGUAGE = (ROOT / "docs" / "spec-language.md").read_text()


def test_the_package_docstring_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)  # its spec path is relative to the repository root
    result = doctest.testmod(archgen, raise_on_error=False, verbose=False)
    assert result.attempted >= 4 and result.failed == 0, result


def test_the_readme_api_values_are_the_real_ones():
    arch = archgen.load(ROOT / "specs" / "inception_v3.yaml", overrides={"classes": 10})
    assert f"arch.totals.params      # {arch.totals.params:,} " in README
    assert f"arch.min_input          # {arch.min_input}\n" in README


def test_the_exit_codes_in_the_readme_and_help_are_the_codes_cli_returns():
    table = dict(re.findall(r"^\| (\d+) \| (.+) \|$", README, re.MULTILINE))
    assert sorted(map(int, table)) == sorted(cli.EXIT_CODES) == [0, 1, 2, 3, 4, 130]
    epilog = cli.build_parser().epilog
    for code, meaning in cli.EXIT_CODES.items():
        assert f"  {code:<4} {meaning}" in epilog


def commands_with(option: str) -> set[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name
        for name, command in sub.choices.items()
        if any(option in action.option_strings for action in command._actions)
    }


def test_the_commands_said_to_take_set_are_the_ones_that_do():
    every = set(commands_with("--help"))
    assert every - commands_with("--set") == {"ops", "completion"}
    sentence = "Every command that reads a spec (all but `ops` and `completion`) takes"
    assert sentence in README and sentence in " ".join(SPEC_LANGUAGE.split())
    assert commands_with("--max-layers") == commands_with("--set")


def test_the_extends_limit_is_stated_as_it_is():
    assert MAX_EXTENDS_DEPTH == 16
    assert "| `extends` chain | 16 links (a spec and 16 bases: 17 specs) |" in SECURITY
    assert "up to 16 links" in " ".join(SPEC_LANGUAGE.split())


@pytest.mark.parametrize("doc", ["security.md", "spec-language.md"])
def test_every_test_a_doc_names_exists(doc):
    text = (ROOT / "docs" / doc).read_text()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE))
    assert named - defined == set()
