"""The `archgen` command. Thin: parses arguments, calls the API, prints results.

Exit codes: 0 success, 1 a spec is invalid, 2 bad usage (argparse's own code).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from archgen import __version__
from archgen.errors import SpecError

EXAMPLES = """examples:
  archgen check specs/                               check every spec in a folder
  archgen summary specs/inception_v3.yaml --depth 2  blocks and their branches
  archgen summary specs/inception_v4.yaml --set input=[28,28,1]
  archgen build specs/inception_v3.yaml -o generated/
"""


def spec_files(paths: list[str]) -> list[Path]:
    """The spec files named, folders expanded to their *.yaml files in name order."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def parse_sets(values: list[str]) -> dict:
    from archgen.spec import parse_override

    return dict(parse_override(text) for text in values)


def load(path: Path, args):
    import archgen

    return archgen.load(path, parse_sets(args.set), max_layers=args.max_layers)


# --- commands --------------------------------------------------------------------------


def cmd_check(args) -> int:
    failed = 0
    for path in spec_files(args.specs):
        try:
            arch = load(path, args)
        except SpecError as exc:
            failed += 1
            print(exc.render(), file=sys.stderr)
            continue
        totals = arch.totals
        print(
            f"ok  {path}: {arch.name}, {len(arch.graph)} layers, {totals.params:,} params, "
            f"{totals.flops / 1e9:.2f} G FLOPs"
        )
    return 1 if failed else 0


def cmd_summary(args) -> int:
    from archgen.report import summary_table

    arch = load(Path(args.spec), args)
    if args.format == "json":
        print(json.dumps(arch.summary(), indent=2))
    else:
        print(summary_table(arch, args.depth))
    return 0


def cmd_min_input(args) -> int:
    from archgen.passes import input_sizes

    arch = load(Path(args.spec), args)
    smallest = arch.min_input
    if smallest is None:
        print(f"{arch.name}: no square input up to 2048 works")
        return 1
    upto = max(args.upto, smallest)
    valid = input_sizes(arch.graph, upto)
    failing = [s for s in range(smallest, upto + 1) if s not in set(valid)]
    print(f"{arch.name}: smallest input {smallest}x{smallest}")
    if failing:
        shown = ", ".join(map(str, failing[:20])) + (" ..." if len(failing) > 20 else "")
        print(f"  sizes from {smallest} to {upto} that fail: {shown}")
    else:
        print(f"  every size from {smallest} to {upto} works")
    return 0


def cmd_build(args) -> int:
    from archgen.build import build

    out_dir = Path(args.output)
    failed = 0
    for path in spec_files(args.specs):
        try:
            arch = load(path, args)
            written = build(arch, out_dir, verify=not args.no_verify)
        except SpecError as exc:
            failed += 1
            print(exc.render(), file=sys.stderr)
            continue
        names = ", ".join(p.name for p in written)
        checked = "" if args.no_verify else "; Keras agrees"
        print(f"built {path} -> {out_dir}/ {names} ({arch.totals.params:,} params{checked})")
    return 1 if failed else 0


def cmd_ops(args) -> int:
    from archgen.ops import ALIASES, resolve, spec_op_names

    for name in spec_op_names():
        op, _ = resolve(name)
        if name in ALIASES:
            print(f"{name:18} shorthand for activation: {{function: {name}}}")
            continue
        print(f"{name:18} {op.help}")
        for attr in op.attrs:
            default = "required" if attr.required else f"default {attr.default!r}"
            print(f"    {attr.name:16} {attr.type.name} ({default}): {attr.help}")
    return 0


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archgen",
        description="Compile architecture specs (YAML) into checked Keras models, "
        "Python source and diagrams.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"archgen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    spec_options = argparse.ArgumentParser(add_help=False)
    spec_options.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter or the input, e.g. --set classes=10 --set input=[150,150,3]",
    )
    spec_options.add_argument(
        "--max-layers",
        type=int,
        default=100_000,
        metavar="N",
        help="refuse specs that expand to more layers (default 100000)",
    )

    def command(name: str, func, help: str, example: str):
        sub = commands.add_parser(
            name,
            parents=[spec_options],
            help=help,
            description=help,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(func=func)
        return sub

    check = command(
        "check", cmd_check, "check specs: shapes, parameters, FLOPs", "archgen check specs/"
    )
    check.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or folders")

    summary = command(
        "summary",
        cmd_summary,
        "print the layers, shapes, parameters and FLOPs of a spec",
        "archgen summary specs/inception_v3.yaml --depth 2",
    )
    summary.add_argument("spec", metavar="SPEC")
    summary.add_argument(
        "--depth", type=int, default=1, help="block levels to open (0: every layer; default 1)"
    )
    summary.add_argument("--format", choices=("table", "json"), default="table")

    min_input = command(
        "min-input",
        cmd_min_input,
        "the smallest square input a spec accepts, and which sizes above it fail",
        "archgen min-input specs/inception_v3.yaml",
    )
    min_input.add_argument("spec", metavar="SPEC")
    min_input.add_argument(
        "--upto", type=int, default=512, help="scan sizes up to this (default 512)"
    )

    build = command(
        "build",
        cmd_build,
        "check specs, then write their Python source, JSON summary and diagrams",
        "archgen build specs/ -o generated/",
    )
    build.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or folders")
    build.add_argument(
        "-o", "--output", default="generated", metavar="DIR", help="output folder (generated/)"
    )
    build.add_argument(
        "--no-verify",
        action="store_true",
        help="skip building the Keras model to confirm its parameter count (no TensorFlow)",
    )

    ops = commands.add_parser("ops", help="list every op with its arguments")
    ops.set_defaults(func=cmd_ops)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in archgen, not in the spec
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"archgen: internal error: {type(exc).__name__}: {exc}\n"
                "  run again with --debug for the traceback, and please report it",
                file=sys.stderr,
            )
        return 3


if __name__ == "__main__":
    sys.exit(main())
