"""The `archgen` command. Thin: parses arguments, calls the API, prints results.

Exit codes: EXIT_CODES below (shown by `archgen --help`, listed in the README).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import traceback
from pathlib import Path

from archgen import __version__
from archgen.errors import EnvError, SpecError, SpecErrors, UsageError, use_color
from archgen.escape import terminal_lines, terminal_text
from archgen.limits import MAX_LAYERS

OK, INVALID_SPEC, BAD_USAGE, INTERNAL_ERROR, ENVIRONMENT, INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = {
    OK: "success",
    INVALID_SPEC: "a spec is invalid (the diagnostic says where and how to fix it)",
    BAD_USAGE: "bad usage: an unknown command, option or value",
    INTERNAL_ERROR: "a bug in archgen (the traceback only with --debug)",
    ENVIRONMENT: "the environment: a missing tool (Graphviz's dot), or a file that cannot "
    "be read or written (a spec, weights, an image, an output)",
    INTERRUPTED: "interrupted (Ctrl-C)",
}

EXAMPLES = """examples:
  archgen check specs/                               check every spec in a folder
  archgen summary specs/inception_v3.yaml --depth 2  blocks and their branches
  archgen summary specs/inception_v4.yaml --set input=[28,28,1]
  archgen build specs/inception_v3.yaml -o generated/

exit codes:
""" + "".join(f"  {code:<4} {meaning}\n" for code, meaning in EXIT_CODES.items())


def spec_files(paths: list[str]) -> list[Path]:
    """The spec files named, folders expanded to their *.yaml and *.yml files in name
    order. A folder without one is bad usage: a CI step that checks nothing should fail."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not found:
            raise UsageError(f"{name}: no spec files (*.yaml, *.yml) in this folder")
        files.extend(found)
    return files


def parse_sets(values: list[str]) -> dict:
    from archgen.language import parse_override

    return dict(parse_override(text) for text in values)


def whole_number(minimum: int):
    """An argparse type: a whole number >= minimum (anything else is bad usage, exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, not {value}")
        return value

    return parse


positive_int = whole_number(1)


def load(path: Path, args):
    import archgen

    if args.root is not None and not Path(args.root).is_dir():
        raise UsageError(f"--root {args.root!r} is not a folder")

    return archgen.load(path, parse_sets(args.set), root=args.root, max_layers=args.max_layers)


# --- commands --------------------------------------------------------------------------


def report_error(error: SpecError) -> int:
    """A diagnostic on stderr (coloured on a terminal, not with NO_COLOR); its exit code."""
    print(error.render(use_color(sys.stderr)), file=sys.stderr)
    return exit_code(error)


def exit_code(error: SpecError) -> int:
    """1 for a problem in the spec; 2 and 4 for problems outside it."""
    if isinstance(error, UsageError):
        return BAD_USAGE
    if isinstance(error, EnvError):
        return ENVIRONMENT
    return INVALID_SPEC


def error_dicts(error: SpecError) -> list[dict]:
    return error.as_dicts() if isinstance(error, SpecErrors) else [error.as_dict()]


def cmd_check(args) -> int:
    from archgen.report import short_flops

    results, code = [], OK
    for path in spec_files(args.specs):
        try:
            arch = load(path, args)
        except SpecError as exc:
            results.append({"spec": str(path), "ok": False, "errors": error_dicts(exc)})
            code = max(code, exit_code(exc))  # the worst: 4 (a file unread) over 1
            if args.format == "text":
                report_error(exc)
            continue
        totals = arch.totals
        results.append({"spec": str(path), "ok": True, "name": arch.name, "params": totals.params})
        if args.format == "text":
            shown = terminal_text(str(path))  # a file name may hold an escape sequence
            print(
                f"ok  {shown}: {arch.name}, {len(arch.graph)} layers, {totals.params:,} params, "
                f"{short_flops(totals.flops)} FLOPs"
            )
    if args.format == "json":
        print(json.dumps(results, indent=2))
    return code


def cmd_summary(args) -> int:
    from archgen.report import summary_table

    arch = load(Path(args.spec), args)
    if args.format == "json":
        print(json.dumps(arch.summary(), indent=2))
    else:
        print(summary_table(arch, args.depth))
    return 0


def cmd_min_input(args) -> int:
    arch = load(Path(args.spec), args)
    sizes = arch.input_sizes(args.upto)
    if sizes.smallest is None:  # an answer, not an error: the spec itself is valid
        print(f"{arch.name}: no square input up to {sizes.upto} works")
        return OK
    smallest, upto = sizes.smallest, sizes.upto
    print(f"{arch.name}: the smallest square input every layer accepts is {smallest}x{smallest}")
    if sizes.step:
        print(
            f"  from {smallest} to {upto}, every multiple of {sizes.step} works, and no other size"
        )
    elif sizes.failing:
        print(f"  sizes from {smallest} to {upto} that fail: {first_few(sizes.failing)}")
    else:
        print(f"  every size from {smallest} to {upto} works")
    for note in sizes.notes:
        print(f"  note: {note}")
    return 0


def first_few(numbers: list[int], shown: int = 20) -> str:
    return ", ".join(map(str, numbers[:shown])) + (" ..." if len(numbers) > shown else "")


def cmd_build(args) -> int:
    from archgen.build import build

    out_dir = Path(args.output)
    code = OK
    built: dict[str, Path] = {}  # name -> the spec that wrote its outputs in this run
    for path in spec_files(args.specs):
        try:
            arch = load(path, args)
            if arch.name in built:  # its outputs would overwrite the other's
                raise SpecError(
                    f"'{arch.name}' is also the name of {built[arch.name]}: both would write "
                    f"{out_dir}/{arch.name}.*",
                    arch.spec.name_loc,
                    hint="give one of them another name, or build them into other folders",
                )
            built[arch.name] = path
            notes: list[str] = []
            verify, diagrams = not args.no_verify, not args.no_diagrams
            written = build(arch, out_dir, verify=verify, diagrams=diagrams, notes=notes)
        except SpecError as exc:
            code = max(code, report_error(exc))
            continue
        checked = "" if args.no_verify else "; Keras agrees"
        shown, folder = terminal_text(str(path)), terminal_text(str(out_dir))
        print(
            f"built {shown} -> {folder}/{arch.name}.* ({len(written)} files; "
            f"{arch.totals.params:,} params{checked})"
        )
        for note in notes:
            print(f"  note: {terminal_text(note)}")
    return code


DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def cmd_diagram(args) -> int:
    from archgen.backends.graphviz import dot_source, render

    if args.depth is not None and args.depth < 1:  # main() returns 2, argparse would exit
        raise UsageError(f"--depth must be 1 or more, not {args.depth}")
    fmt = args.format
    if fmt is None and args.output:
        fmt = DIAGRAM_SUFFIXES.get(Path(args.output).suffix.lower())
        if fmt is None:
            raise UsageError(
                f"cannot tell the format of {args.output}",
                hint="name it .svg, .png, .pdf or .dot, or give --format",
            )
    arch = load(Path(args.spec), args)
    data = render(dot_source(arch, args.level, args.depth), fmt or "svg")
    if args.output:
        from archgen.outputs import write_all

        write_all({Path(args.output): data})  # atomic: a failure keeps the previous file
        print(f"wrote {terminal_text(args.output)} ({args.level} view of {arch.name})")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_docs(args) -> int:
    from archgen.backends.docs import write_docs

    entries, code = [], OK
    for path in spec_files(args.specs):
        try:
            entries.append((load(path, args), path))
        except SpecError as exc:
            code = max(code, report_error(exc))
    if code != OK:
        print("archgen: docs not written: fix the specs above first", file=sys.stderr)
        return code
    written, removed = write_docs(entries, args.output)
    print(
        f"docs for {len(entries)} specs in {terminal_text(args.output)}/: "
        f"{len(written)} files written, {len(removed)} removed"
    )
    return 0


def cmd_featuremaps(args) -> int:
    from archgen.backends.featuremaps import feature_maps

    arch = load(Path(args.spec), args)
    names = [name.strip() for name in args.layers.split(",") if name.strip()]
    grid = feature_maps(
        arch, args.weights, args.image, names, args.channels, args.tile, args.preprocess
    )
    from archgen.outputs import write_all

    image = io.BytesIO()
    grid.save(image, format="PNG")
    write_all({Path(args.output): image.getvalue()})  # atomic: a failure keeps the old file
    print(f"wrote {terminal_text(args.output)}: {', '.join(names)}, {args.channels} channels each")
    return 0


def cmd_diff(args) -> int:
    from archgen.diff import diff_text

    before, after = load(Path(args.a), args), load(Path(args.b), args)
    print(terminal_lines(diff_text(before, after, show_all=args.all)))  # it names the files
    return 0


def cmd_new(args) -> int:
    from archgen.scaffold import new_spec

    folder = Path(args.output or ("specs" if Path("specs").is_dir() else "."))
    path = new_spec(args.name, folder, Path(args.base) if args.base else None)
    load(path, args)  # what `new` writes always checks
    shown = terminal_text(str(path))
    print(f"wrote {shown}; check it with: archgen check {shown}")
    return 0


def cmd_ops(args) -> int:
    from archgen.ops import ALIASES, resolve, spec_op_names

    if args.format == "markdown":  # the table docs/spec-language.md holds
        from archgen.ops.table import markdown

        print(markdown(), end="")
        return 0
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
        type=positive_int,
        default=MAX_LAYERS,
        metavar="N",
        help=f"refuse specs that expand to more layers (default {MAX_LAYERS})",
    )
    spec_options.add_argument(
        "--root",
        metavar="DIR",
        help="read 'extends:' targets only inside DIR: for specs from strangers, such as a "
        "pull request's (docs/security.md)",
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
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: one record per spec with its errors, for editors and tools",
    )

    summary = command(
        "summary",
        cmd_summary,
        "print the layers, shapes, parameters and FLOPs of a spec",
        "archgen summary specs/inception_v3.yaml --depth 2",
    )
    summary.add_argument("spec", metavar="SPEC")
    summary.add_argument(
        "--depth",
        type=whole_number(0),
        default=1,
        help="block levels to open (0: every layer; default 1)",
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
        "--upto", type=positive_int, default=512, help="scan sizes up to this (default 512)"
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
    build.add_argument(
        "--no-diagrams", action="store_true", help="skip the diagrams (no Graphviz needed)"
    )

    diagram = command(
        "diagram",
        cmd_diagram,
        "draw a spec with Graphviz: its blocks, or every layer with shapes on the edges",
        "archgen diagram specs/inception_v3.yaml --level layers -o inception_v3.svg",
    )
    diagram.add_argument("spec", metavar="SPEC")
    diagram.add_argument(
        "--level",
        choices=("blocks", "layers"),
        default="blocks",
        help="blocks: a box per block (default); layers: every layer, blocks as clusters",
    )
    diagram.add_argument(
        "--depth",
        type=int,
        default=None,
        metavar="N",
        help="blocks: block levels to open (default 1); layers: cluster nesting (default all)",
    )
    diagram.add_argument(
        "--format",
        choices=("svg", "png", "pdf", "dot"),
        default=None,
        help="output format (default: from the -o file name, else svg); dot needs no Graphviz",
    )
    diagram.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")

    docs = command(
        "docs",
        cmd_docs,
        "write a Markdown page with diagrams per spec, and an index comparing them",
        "archgen docs specs/ -o docs/architectures",
    )
    docs.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or folders")
    docs.add_argument(
        "-o", "--output", default="docs/architectures", metavar="DIR", help="output folder"
    )

    featuremaps = command(
        "featuremaps",
        cmd_featuremaps,
        "draw the first feature maps of chosen layers for one image, with trained weights",
        "archgen featuremaps specs/inception_v3.yaml --weights w.weights.h5 --image cat.jpg "
        "--layers mixed0,mixed5 -o maps.png",
    )
    featuremaps.add_argument("spec", metavar="SPEC")
    featuremaps.add_argument("--weights", required=True, metavar="FILE", help="Keras weights")
    featuremaps.add_argument("--image", required=True, metavar="IMG", help="a PNG or JPEG image")
    featuremaps.add_argument(
        "--layers",
        required=True,
        metavar="NAMES",
        help="comma-separated layer or block names, e.g. mixed0,mixed5",
    )
    featuremaps.add_argument("-o", "--output", required=True, metavar="OUT.png")
    featuremaps.add_argument(
        "--channels", type=int, default=8, metavar="N", help="channels per layer (default 8)"
    )
    featuremaps.add_argument(
        "--tile", type=int, default=96, metavar="PX", help="tile size in pixels (default 96)"
    )
    featuremaps.add_argument(
        "--preprocess",
        choices=("inception", "unit", "none"),
        default="inception",
        help="pixel scaling: inception [-1, 1] (default), unit [0, 1], none [0, 255]",
    )

    diff = command(
        "diff",
        cmd_diff,
        "compare two specs block by block: structure, shapes, parameters, FLOPs",
        "archgen diff specs/inception_v4.yaml specs/inception_v4_mnist.yaml",
    )
    diff.add_argument("a", metavar="SPEC_A")
    diff.add_argument("b", metavar="SPEC_B")
    diff.add_argument("--all", action="store_true", help="show unchanged blocks too")

    new = command(
        "new",
        cmd_new,
        "write a new spec, or a variant of an existing one, ready to edit",
        "archgen new my_inception --from specs/inception_v3.yaml",
    )
    new.add_argument("name", help="the new spec's name (letters, digits, _)")
    new.add_argument("--from", dest="base", metavar="SPEC", help="make a variant of SPEC")
    new.add_argument(
        "-o", "--output", metavar="DIR", help="folder to write into (default: specs/ or .)"
    )

    ops = commands.add_parser("ops", help="list every op with its arguments")
    ops.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="markdown: the docs' table"
    )
    ops.set_defaults(func=cmd_ops)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh.",
        epilog="examples:\n"
        "  archgen completion bash > ~/.local/share/bash-completion/completions/archgen\n"
        "  source <(archgen completion zsh)   # in ~/.zshrc",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(func=cmd_completion)
    return parser


COMPLETION = """# archgen completion for bash (and zsh through bashcompinit)
_archgen() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" opts=""
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{commands} --version --help --debug" -- "$cur"))
        return
    fi
    case "${{COMP_WORDS[1]}}" in
{cases}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _archgen archgen
"""


def completion_script(shell: str) -> str:
    """A completion script made from the parser itself, so it lists every command."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    cases = []
    for name, sub in commands.choices.items():
        options = sorted(
            {o for a in sub._actions for o in a.option_strings if o.startswith("--")} - {"--help"}
        )
        cases.append(f'        {name}) opts="{" ".join(options)}" ;;')
    script = COMPLETION.format(commands=" ".join(commands.choices), cases="\n".join(cases))
    if shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    return script


def cmd_completion(args) -> int:
    print(completion_script(args.shell), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:  # `archgen summary ... | head` closed the pipe: not an error
        sys.stdout = None  # nothing more can be written, not even at exit
        return OK
    except OSError as exc:  # a file named on the command line cannot be read or written
        if args.debug:
            traceback.print_exc()
        where = f": {exc.filename}" if exc.filename else ""
        print(terminal_text(f"archgen: error: {exc.strerror or exc}{where}"), file=sys.stderr)
        return ENVIRONMENT
    except Exception as exc:  # a bug in archgen, not in the spec
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"archgen: internal error: {type(exc).__name__}: {terminal_text(str(exc))}\n"
                "  run again with --debug for the traceback, and please report it",
                file=sys.stderr,
            )
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
