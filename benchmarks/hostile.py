"""Hostile cases of issue 14, run through each command of one or more archgen checkouts,
side by side in one run: which attack classes each command survives.

    .venv/bin/python benchmarks/hostile.py --checkout before=/tmp/archgen-before \
        --checkout after=. --out benchmarks/results/hostile-before-after.md

Each checkout is run as `python -m archgen` with PYTHONPATH pointing at it, in a fresh
folder per case. A case survives a command when the command answers as the issue asks:
refused with exit 1, 2 or 4, a message and no traceback, nothing of a secret shown, no
control byte on the terminal, no output written, within 60 s; or, for a case that must
be accepted (a `.yml` folder, a 1,000-layer chain), exit 0 and the outputs it promises;
for text bound for other formats, outputs that hold it as text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECRET = "SECRET_TOKEN=hunter2"
HEADER = "archgen: 1\nname: net\ninput: [8, 8, 3]\n"
SPEC = HEADER + "model: [relu]\n"
COMMANDS = ("check", "summary", "diagram", "docs", "build", "new")
TIMEOUT = 60


@dataclass
class Run:
    code: int | None  # None: timed out
    out: str
    err: str
    folder: Path


@dataclass
class Case:
    klass: str
    name: str
    files: dict[str, object]  # path -> text, or a callable(path) making something else
    target: str = "spec.yaml"
    commands: tuple[str, ...] = ("check", "summary", "diagram", "docs", "build")
    expect: str = "refused"  # or "accepted", "text"
    check: Callable[[Run, str], bool] | None = None  # more to require, per command
    extra: tuple[str, ...] = ()  # more arguments


def link(to: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(to)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(10 << 30)


def concat(branches: int) -> str:
    return (
        HEADER + "model:\n  - concat:\n" + "".join(f"      b{i}: [relu]\n" for i in range(branches))
    )


def squaring_chain(levels: int) -> str:
    blocks = "".join(
        f'  b{i}:\n    args: {{a: required}}\n    seq: [b{i + 1}: {{a: "${{a * a * a * a}}"}}]\n'
        for i in range(levels)
    )
    blocks += f"  b{levels}:\n    args: {{a: required}}\n    seq: [relu]\n"
    return HEADER + "blocks:\n" + blocks + "model: [b0: {a: 7}]\n"


def many_errors(count: int) -> str:
    return HEADER + "model:\n" + "".join(f"  - reluu{i}\n" for i in range(count))


def deep_too_small(layers: int) -> str:
    return (
        HEADER + f"model:\n  - repeat: {layers}\n    seq: [relu]\n"
        "  - conv2d: {filters: 4, kernel: 9}\n"
    )


def docs_only_own_files(run: Run, command: str) -> bool:
    out = run.folder / "out"
    return (out / "notes.md").exists() and (out / "mine.blocks.svg").exists()


def page_has_no_raw_markup(run: Run, command: str) -> bool:
    if command == "docs":
        text = "".join(p.read_text() for p in (run.folder / "out").glob("*.md"))
        body = "\n".join(text.splitlines()[1:])  # the banner is archgen's own HTML comment
        return "<script" not in body and "](javascript:" not in body and "-->" not in body
    if command in ("diagram", "build"):
        svgs = list((run.folder / "out").glob("*.svg")) + list(run.folder.glob("*.svg"))
        return bool(svgs) and all("javascript:" not in p.read_text() for p in svgs)
    return True


def built_and_imports(run: Run, command: str) -> bool:
    return run.code == 0 and "Keras agrees" in run.out


def new_loads(run: Run, command: str) -> bool:
    return run.code == 0 and (run.folder / "specs" / "v.yaml").exists()


CASES = [
    # files that are not what they seem
    Case(
        "files",
        "extends: a link out of the folder",
        {
            "secret.yaml": SECRET + "\n",
            "specs/evil.yaml": link("../secret.yaml"),
            "specs/spec.yaml": "archgen: 1\nextends: evil.yaml\nname: b\n",
        },
        "specs/spec.yaml",
    ),
    Case(
        "files",
        "a link to a secret met in a checked folder",
        {
            "secret.yaml": SECRET + "\n",
            "specs/evil.yaml": link("../secret.yaml"),
            "specs/ok.yaml": SPEC,
        },
        "specs",
        commands=("check", "docs", "build"),
    ),
    Case("files", "a link to /proc/self/environ", {"spec.yaml": link("/proc/self/environ")}),
    Case("files", "a link to /dev/zero", {"spec.yaml": link("/dev/zero")}),
    Case("files", "a 10 GB sparse file", {"spec.yaml": sparse}),
    Case("files", "a FIFO", {"spec.yaml": fifo}),
    Case("files", "a loop of links", {"spec.yaml": link("b.yaml"), "b.yaml": link("spec.yaml")}),
    Case(
        "files",
        "a folder with no spec",
        {"specs/readme.txt": "x"},
        "specs",
        commands=("check", "docs", "build"),
    ),
    Case(
        "files",
        "a folder of .yml specs is checked",
        {"specs/a.yml": SPEC},
        "specs",
        commands=("check",),
        expect="accepted",
        check=lambda r, c: "a.yml" in r.out,
    ),
    # spec text reaching other formats raw
    Case(
        "markup",
        "HTML in doc:",
        {"spec.yaml": SPEC + 'doc: "<script>alert(1)</script>"\n'},
        commands=("docs",),
        expect="text",
        check=page_has_no_raw_markup,
    ),
    Case(
        "markup",
        "a title that is a Graphviz HTML label",
        {
            "spec.yaml": SPEC
            + "title: '<<TABLE><TR><TD HREF=\"javascript:alert(1)\">x</TD></TR></TABLE>>'\n"
        },
        commands=("diagram", "build"),
        expect="text",
        check=page_has_no_raw_markup,
    ),
    Case(
        "markup",
        "a javascript: link in a title",
        {"spec.yaml": SPEC + "title: '[x](javascript:alert(1))'\n"},
        commands=("docs",),
        expect="text",
        check=page_has_no_raw_markup,
    ),
    Case(
        "markup",
        "a file name that closes the banner",
        {"a --> b.yaml": SPEC},
        "a --> b.yaml",
        commands=("docs",),
        expect="text",
        check=page_has_no_raw_markup,
    ),
    Case(
        "markup",
        "an escape sequence in a file name",
        {"a\x1b[2J.yaml": SPEC},
        "a\x1b[2J.yaml",
        commands=("check", "summary", "build"),
        expect="text",
    ),
    # accepted specs that take unbounded work
    Case(
        "work",
        "a 5,000-digit integer",
        {"spec.yaml": HEADER + "model: [dense: {units: " + "9" * 5000 + "}]\n"},
    ),
    Case(
        "work",
        "a 5,000-digit hex literal",
        {"spec.yaml": HEADER + "model: [dense: {units: 0x" + "f" * 5000 + "}]\n"},
    ),
    Case("work", "blocks squaring an argument", {"spec.yaml": squaring_chain(40)}),
    Case(
        "work",
        "a name template filled with 400 KB",
        {
            "spec.yaml": HEADER.replace("input", "params: {tag: " + "x" * 400_000 + "}\ninput")
            + 'model: [relu: {name: "r${tag}"}]\n'
        },
    ),
    Case("work", "20,000 errors", {"spec.yaml": many_errors(20_000)}),
    Case("work", "too small, deep in 30,000 layers", {"spec.yaml": deep_too_small(30_000)}),
    Case(
        "work",
        "a concat of 3,000 branches (diagram)",
        {"spec.yaml": concat(3_000)},
        commands=("diagram",),
        extra=("--level", "layers"),
    ),
    Case(
        "work",
        "an input of 1e9 x 1e9",
        {"spec.yaml": SPEC.replace("[8, 8, 3]", "[1000000000, 1000000000, 3]")},
    ),
    # outputs that lie or destroy
    Case(
        "outputs",
        "docs of one spec into a folder of others",
        {"spec.yaml": SPEC, "out/notes.md": "mine", "out/mine.blocks.svg": "<svg/>"},
        commands=("docs",),
        expect="accepted",
        check=docs_only_own_files,
    ),
    Case(
        "outputs",
        "two specs with one name into one folder",
        {"specs/a.yaml": SPEC, "specs/b.yaml": SPEC},
        "specs",
        commands=("build",),
    ),
    Case(
        "outputs",
        "new from a base with an emoji title",
        {"specs/base.yaml": SPEC + 'title: "net \U0001f600"\n'},
        "v",
        commands=("new",),
        expect="accepted",
        check=new_loads,
        extra=("--from", "specs/base.yaml", "-o", "specs"),
    ),
    Case(
        "outputs",
        "a parameter default of nan",
        {"spec.yaml": HEADER + "params: {rate: .nan}\nmodel: [dropout: {rate: $rate}]\n"},
        commands=("check", "build"),
    ),
    Case(
        "outputs",
        "a block argument named layers",
        {
            "spec.yaml": HEADER + "blocks:\n  unit:\n    args: {layers: 4}\n"
            "    seq: [conv2d: {filters: $layers, kernel: 1}]\nmodel: [unit]\n"
        },
        commands=("build",),
        expect="accepted",
        check=built_and_imports,
    ),
    Case(
        "outputs",
        "a 1,000-layer chain builds",
        {"spec.yaml": HEADER + "model:\n  - repeat: 1000\n    seq: [relu]\n"},
        commands=("build",),
        expect="accepted",
        check=built_and_imports,
    ),
    # YAML's surprises
    Case(
        "yaml",
        "U+2028 in a comment",
        {"spec.yaml": SPEC.replace("model:", "# x\u2028- hidden: 1\nmodel:")},
    ),
    Case(
        "yaml",
        "U+0085 in a comment",
        {"spec.yaml": SPEC.replace("model:", "# x\x85model2: 1\nmodel:")},
    ),
    Case(
        "yaml",
        "1:00 read as 60",
        {"spec.yaml": SPEC.replace("[relu]", "[relu: {name: a}, sigmoid: {name: 1:00}]")},
    ),
    Case("yaml", "archgen: true", {"spec.yaml": SPEC.replace("archgen: 1", "archgen: true")}),
    Case(
        "yaml",
        "Unicode digits in an expression",
        {"spec.yaml": HEADER + 'model: [conv2d: {filters: "${\u0663}", kernel: 1}]\n'},
    ),
    # exit codes
    Case(
        "exit codes",
        "an empty folder",
        {"specs/.keep": ""},
        "specs",
        commands=("check",),
        check=lambda r, c: r.code == 2,
    ),
    Case(
        "exit codes",
        "--set x (no value)",
        {"spec.yaml": SPEC},
        commands=("check", "summary", "build"),
        extra=("--set", "x"),
        check=lambda r, c: r.code == 2,
    ),
    Case(
        "exit codes",
        "--depth -5",
        {"spec.yaml": SPEC},
        commands=("summary", "diagram"),
        extra=("--depth", "-5"),
        check=lambda r, c: r.code == 2,
    ),
    Case(
        "exit codes",
        "Graphviz missing",
        {"spec.yaml": SPEC},
        commands=("diagram", "docs", "build"),
        check=lambda r, c: r.code == 4,
        extra=("--no-dot",),
    ),
]


def make(folder: Path, files: dict) -> None:
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_text(content)


def command_line(command: str, case: Case) -> list[str]:
    extra = [a for a in case.extra if a != "--no-dot"]
    target = case.target
    if command == "new":
        return ["new", target, *extra]
    args = [command, target, *extra]
    if command in ("docs", "build"):
        args += ["-o", "out"]
    if command == "build" and case.check is not built_and_imports:
        args.append("--no-verify")  # TensorFlow only where the case is about Keras
    if command == "diagram":
        args += ["-o", "out.svg"]
    return args


def run(python: str, checkout: Path, case: Case, command: str) -> Run:
    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    make(folder, case.files)
    env = {**os.environ, "PYTHONPATH": str(checkout), "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if "--no-dot" in case.extra:
        env["PATH"] = str(folder / "no-bin")
    try:
        done = subprocess.run(
            [python, "-m", "archgen", *command_line(command, case)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr, folder)
    except subprocess.TimeoutExpired:
        return Run(None, "", "", folder)


def survived(case: Case, command: str, result: Run) -> bool:
    said = result.out + result.err
    if result.code is None or "Traceback" in said or "internal error" in said:
        return False
    if "SECRET_TOKEN" in said or "\x1b" in said:
        return False
    if case.check is not None and not case.check(result, command):
        return False
    if case.expect == "refused":
        wrote = [p for p in result.folder.rglob("*") if p.name in ("out", "out.svg")]
        # a folder's good specs are still built; a refused spec writes nothing
        partial_ok = case.klass == "outputs" or not case.target.endswith((".yaml", ".yml"))
        return result.code in (1, 2, 4) and "error" in result.err and (not wrote or partial_ok)
    if case.expect == "accepted":
        return result.code == 0
    return result.code in (0, 1)  # text: shown as text, or refused with a message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", action="append", required=True, metavar="LABEL=DIR")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    checkouts = [
        (label, Path(d).resolve()) for label, d in (c.split("=", 1) for c in args.checkout)
    ]
    classes = list(dict.fromkeys(case.klass for case in CASES))
    score = {(label, k, c): [0, 0] for label, _ in checkouts for k in classes for c in COMMANDS}
    failures: dict[str, list[str]] = {label: [] for label, _ in checkouts}
    for case in CASES:
        for command in case.commands:
            for label, checkout in checkouts:  # side by side, case by case
                result = run(args.python, checkout, case, command)
                ok = survived(case, command, result)
                cell = score[(label, case.klass, command)]
                cell[0] += ok
                cell[1] += 1
                if not ok:
                    failures[label].append(f"{command}: {case.name} (exit {result.code})")
                shutil.rmtree(result.folder, ignore_errors=True)
                print(f"{label:8} {command:8} {'ok  ' if ok else 'FAIL'} {case.name}", flush=True)
    lines = [
        "| class | command | " + " | ".join(label for label, _ in checkouts) + " |",
        "|---|---|" + "---|" * len(checkouts),
    ]
    for klass in classes:
        for command in COMMANDS:
            cells = [score[(label, klass, command)] for label, _ in checkouts]
            if cells[0][1]:
                lines.append(
                    f"| {klass} | {command} | " + " | ".join(f"{a}/{b}" for a, b in cells) + " |"
                )
    totals = [
        sum(score[(label, k, c)][0] for k in classes for c in COMMANDS) for label, _ in checkouts
    ]
    lines.append(
        "| **all** | | "
        + " | ".join(f"**{t}/{sum(1 for case in CASES for _ in case.commands)}**" for t in totals)
        + " |"
    )
    report = "\n".join(lines) + "\n"
    for label, missed in failures.items():
        report += f"\n{label}: not survived\n" + "".join(f"- {m}\n" for m in missed)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
