"""Files that are not what they seem, and YAML's surprises: refused with a located message
and the documented exit code, never read past what a spec is, never quoted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SPEC = "archgen: 1\nname: a\ninput: [8, 8, 3]\nmodel: [relu]\n"


def check(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archgen", "check", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "env.yaml").write_text("SECRET_TOKEN=hunter2\n")
    specs = tmp_path / "specs"
    specs.mkdir()
    return specs


def test_a_symlinked_extends_target_outside_the_folder_is_refused_unread(folder):
    (folder / "evil.yaml").symlink_to(folder.parent / "secret" / "env.yaml")
    (folder / "b.yaml").write_text("archgen: 1\nextends: evil.yaml\nname: b\n")
    run = check("specs/b.yaml", cwd=folder.parent)
    assert run.returncode == 4  # a file archgen will not read, as one it cannot
    assert run.stderr.startswith("specs/b.yaml:2:10: error: cannot read specs/evil.yaml: it links")
    assert "SECRET_TOKEN" not in run.stdout + run.stderr and "Traceback" not in run.stderr
    # the same link named on the command line, or met in a folder, is refused too
    for args in (["specs/evil.yaml"], ["specs"]):
        run = check(*args, cwd=folder.parent)
        assert run.returncode == 4 and "SECRET_TOKEN" not in run.stdout + run.stderr
    # a link inside the folder is an ordinary name for a file there
    (folder / "a.yaml").write_text(SPEC)
    (folder / "alias.yaml").symlink_to("a.yaml")
    assert check("specs/alias.yaml", cwd=folder.parent).returncode == 0


@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "folder"])
def test_special_files_are_refused_without_blocking(folder, kind):
    path = folder / "x.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        (folder / "dev").mkdir()
        path = folder / "dev" / "zero.yaml"
        os.symlink("/dev/zero", folder / "dev" / "zero.yaml")
    elif kind == "loop":
        path.symlink_to("y.yaml")
        (folder / "y.yaml").symlink_to("x.yaml")
    else:  # a folder named like a spec, met while checking the folder around it
        path.mkdir()
        path = folder
    run = check(path.relative_to(folder.parent), cwd=folder.parent)
    assert run.returncode == 4, run.stderr
    assert "error:" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr) < 1000


def test_a_folder_without_specs_is_bad_usage_and_yml_is_a_spec(folder):
    empty = folder.parent / "empty"
    empty.mkdir()
    run = check("empty", cwd=folder.parent)
    assert run.returncode == 2 and "no spec files" in run.stderr
    (empty / "a.yml").write_text(SPEC)
    run = check("empty", cwd=folder.parent)
    assert run.returncode == 0 and "ok  empty/a.yml" in run.stdout


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        # a line separator that editors show inside a comment, where YAML starts a line
        (
            SPEC.replace("model:", "# note\u2028- hidden: 1\nmodel:"),
            "the line break U+2028",
            ":4:7:",
        ),
        (SPEC.replace("model:", "# note\x85model2: 1\nmodel:"), "the line break U+0085", ":4:7:"),
        (SPEC.replace("model:", "# note\rmodel2: 1\nmodel:"), "the line break U+000D", ":4:7:"),
        (
            SPEC.replace("name: a", "name: a\ntitle: 2024-01-01"),
            "'2024-01-01' reads as a date",
            ":3:8:",
        ),
        (
            SPEC.replace("[relu]", "[relu: {name: a}, sigmoid: {name: 1:00}]"),
            "reads as a base-60 number in YAML 1.1 (60)",
            ":4:",
        ),
        (SPEC.replace("archgen: 1", "archgen: true"), "unknown spec version True", ":1:10:"),
    ],
)
def test_yaml_surprises_are_refused_honestly(tmp_path, text, message, where):
    path = tmp_path / "s.yaml"
    path.write_bytes(text.encode())
    run = check(path.name, cwd=tmp_path)
    assert run.returncode == 1
    assert message in run.stderr and f"s.yaml{where}" in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Python would spend its time converting these before any check could look
        (
            SPEC.replace("[relu]", "[dense: {units: 0x" + "f" * 5000 + "}]"),
            "is larger than archgen's limit",
        ),
        (
            SPEC.replace("[relu]", "[dense: {units: " + "9" * 5000 + "}]"),
            "is larger than archgen's limit",
        ),
        (  # inside an expression (found by the long fuzz run: an internal error)
            SPEC.replace("[relu]", '[dense: {units: "${' + "9" * 5000 + ' + 1}"}]'),
            "is larger than archgen's limit",
        ),
        (
            SPEC.replace("[8, 8, 3]", "[1000000000, 1000000000, 3]"),
            "whole numbers from 1 to 1,048,576",
        ),
        (
            SPEC.replace("name: a\n", "name: a\nparams: {tag: " + "x" * 70 + "}\n").replace(
                "[relu]", '[relu: {name: "r${tag}"}]'
            ),
            "makes a name of 71 characters",
        ),
    ],
)
def test_accepted_sizes_are_bounded(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    run = check(path.name, cwd=tmp_path)
    assert run.returncode == 1 and message in run.stderr, run.stderr
    assert len(run.stderr) < 2000  # the 5,000 digits are not echoed back


def test_many_errors_are_capped(tmp_path):
    model = "\n".join(f"  - relux{i}" for i in range(120))
    path = tmp_path / "s.yaml"
    path.write_text(SPEC.replace("model: [relu]", "model:\n" + model))
    run = check(path.name, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.count("error:") == 50
    assert "... and 70 more errors" in run.stderr


def test_root_keeps_extends_inside_the_folder_even_through_dotdot_and_absolute_paths(folder):
    """A pull request's spec may name any .yaml file by path (`../`, absolute): with --root
    only files inside the root are read, and nothing of the others is shown."""
    secret = folder.parent / "secret" / "env.yaml"
    secret.write_text("github.com:\n  oauth_token: SECRET_TOKEN\n")
    (folder / "base.yaml").write_text(SPEC)
    for target in ("../secret/env.yaml", str(secret)):
        (folder / "b.yaml").write_text(f"archgen: 1\nextends: '{target}'\nname: b\n")
        run = check("--root", "specs", "specs/b.yaml", cwd=folder.parent)
        assert run.returncode == 4, run.stderr
        assert "outside" in run.stderr and "--root" in run.stderr
        assert "SECRET_TOKEN" not in run.stdout + run.stderr
        # without --root the file is read (and its keys quoted): what --root is for
        run = check("specs/b.yaml", cwd=folder.parent)
        assert run.returncode == 1 and "SECRET_TOKEN" not in run.stdout  # stderr may hold it
    (folder / "b.yaml").write_text("archgen: 1\nextends: base.yaml\nname: b\n")
    assert check("--root", "specs", "specs", cwd=folder.parent).returncode == 0
    assert check("--root", "nowhere", "specs/b.yaml", cwd=folder.parent).returncode == 2
