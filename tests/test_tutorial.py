"""Every command of docs/tutorial-mnist.md runs as written, in order, and prints what it shows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial-mnist.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(TUTORIAL.read_text())]


def run(args: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of the specs, so the tutorial's outputs land in a scratch folder."""
    root = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(ROOT / "specs", root / "specs")
    shutil.copytree(ROOT / "schema", root / "schema")
    return root


def test_the_tutorial_has_commands_and_code():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("sh") >= 4 and kinds.count("python") == 1


def test_every_command_runs_as_the_tutorial_says(workdir):
    found = blocks()
    commands = 0
    for index, (kind, text) in enumerate(found):
        if kind != "sh":
            continue
        lines = [line for line in text.splitlines() if line.startswith("archgen ")]
        for line in lines:
            command, _, comment = line.partition("#")
            expected = 1 if "exits 1" in comment else 0
            result = run([sys.executable, "-m", "archgen", *shlex.split(command)[1:]], workdir)
            assert result.returncode == expected, (line, result.stderr[-3000:])
            commands += 1
            shown = found[index + 1] if index + 1 < len(found) else None
            if len(lines) == 1 and shown and shown[0] == "":
                # the output block printed right after a single command
                assert (result.stdout + result.stderr).strip() == shown[1].strip()
    assert commands >= 7
    assert (workdir / "scratch" / "my_mnist.yaml").exists()
    assert (workdir / "scratch" / "inception_v4_mnist.svg").read_text().startswith("<?xml")


def test_the_training_run_lowers_the_loss(workdir):
    (code,) = [text for kind, text in blocks() if kind == "python"]
    result = run([sys.executable, "-c", code], workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loss per epoch:" in result.stdout


def test_the_variant_shown_is_the_shipped_one():
    import yaml

    (text,) = [text for kind, text in blocks() if kind == "yaml"]
    shown = yaml.safe_load(text)
    shipped = yaml.safe_load((ROOT / "specs" / "inception_v4_mnist.yaml").read_text())
    assert {key: shipped[key] for key in shown} == shown
