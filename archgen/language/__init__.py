"""The front end: spec files -> a checked Spec AST.

`load_spec` reads a file, follows `extends:` to the specs it builds on, applies
`--set` overrides and checks every name. What it returns is ready to expand.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import contextmanager
from pathlib import Path

from archgen.errors import EnvError, Loc, SpecError, UsageError, did_you_mean
from archgen.language.ast import Spec
from archgen.language.parser import evaluate_input, parse_input, parse_spec
from archgen.language.resolve import check_spec
from archgen.language.yaml_loader import DEFAULT_LIMITS, Limits, load_file, load_text
from archgen.limits import MAX_EXTENDS_DEPTH


def load_spec(
    path: str | Path,
    overrides: dict | None = None,
    limits: Limits = DEFAULT_LIMITS,
    root: str | Path | None = None,
) -> Spec:
    """`root`: when given, `extends:` reads only files inside that folder (specs from
    strangers: a pull request's spec must not read the CI machine's other files)."""
    root = Path(root).resolve() if root is not None else None
    spec = _load_chain(Path(path), [], limits, root)
    if overrides:
        spec = apply_overrides(spec, overrides)
    check_spec(spec)
    return evaluate_input(spec)


def _load_chain(
    path: Path, chain: list[Path], limits: Limits, root: Path | None, named_at: Loc | None = None
) -> Spec:
    doc = load_file(path, limits, named_at)
    base = None
    if isinstance(doc, dict) and "extends" in doc:
        loc = doc.value_loc("extends")
        target = doc["extends"]
        if not isinstance(target, str) or not target.endswith((".yaml", ".yml")):
            raise SpecError(
                f"'extends' names a spec file, not {target!r}",
                loc,
                hint="extends: inception_v4.yaml (relative to this file)",
            )
        # shown as the user would write it (relative to where they are); compared resolved
        base_path = Path(os.path.normpath(path.parent / target))
        seen = [*chain, path.resolve()]  # read already: no loop of links
        try:
            real_base = base_path.resolve()
        except RuntimeError:  # Python 3.11 reports a loop of links this way
            raise SpecError(f"{target!r} is a loop of symbolic links", loc) from None
        if real_base in seen:
            start = seen.index(real_base)
            cycle = " -> ".join(p.name for p in [*seen[start:], base_path])
            raise SpecError(
                f"'extends' makes a cycle: {cycle}",
                loc,
                hint="a spec cannot extend itself, directly or through others",
            )
        if len(seen) > MAX_EXTENDS_DEPTH:
            raise SpecError(f"more than {MAX_EXTENDS_DEPTH} levels of 'extends'", loc)
        if not base_path.exists() and not base_path.is_symlink():
            raise SpecError(
                f"'extends' names {target!r}, which does not exist",
                loc,
                hint=f"looked for {base_path}",
            )
        if root is not None and not real_base.is_relative_to(root):
            raise EnvError(
                f"'extends' names {target!r}, which is outside {root}, the folder --root allows",
                loc,
                hint="copy the base spec into that folder, or give a wider --root",
            )
        base = _load_chain(base_path, seen, limits, root, loc)
    return parse_spec(doc, str(path), base)


@contextmanager
def _usage_errors():
    """What --set says is the command line's, not the spec's: bad usage (exit 2)."""
    try:
        yield
    except UsageError:
        raise
    except SpecError as exc:
        raise UsageError(exc.message, exc.loc, hint=exc.hint, scope=exc.scope) from None


def parse_override(text: str) -> tuple[str, object]:
    """`name=value` from the command line; the value is read as YAML (10, [28, 28, 1])."""
    name, sep, value = text.partition("=")
    where = Loc("--set " + text, 0, 0)
    if not sep or not name.strip():
        raise UsageError(f"--set takes name=value, not {text!r}", where, hint="--set classes=10")
    with _usage_errors():
        parsed = load_text(value or "null", "--set " + text)
    return name.strip(), parsed


def apply_overrides(spec: Spec, overrides: dict) -> Spec:
    """A copy of `spec` with `input` and params replaced, type-checked like the spec.
    A bad override is a UsageError: the command line's mistake, not the spec's."""
    with _usage_errors():
        return _apply_overrides(spec, overrides)


def _apply_overrides(spec: Spec, overrides: dict) -> Spec:
    params = dict(spec.params)
    param_locs = dict(spec.param_locs)
    input_shape, input_loc = spec.input, spec.input_loc
    for name, value in overrides.items():
        loc = Loc(f"--set {name}={value!r}", 0, 0)
        if name == "input":
            example = "[" + ", ".join(getattr(n, "text", str(n)) for n in spec.input) + "]"
            input_shape, input_loc = parse_input(value, loc, example, params=False), loc
            continue
        if name not in params:
            raise SpecError(
                f"the spec has no parameter '{name}'",
                loc,
                hint=did_you_mean(name, [*params, "input"])
                or f"parameters: {', '.join(['input', *params])}",
            )
        _check_same_type(name, params[name], value, loc)
        params[name], param_locs[name] = value, loc
    return dataclasses.replace(
        spec, params=params, param_locs=param_locs, input=input_shape, input_loc=input_loc
    )


def _check_same_type(name: str, default, value, loc: Loc) -> None:
    def kind(v):
        if isinstance(v, bool):
            return "true/false"
        if isinstance(v, (int, float)):
            return "a number"
        if isinstance(v, list):
            return "a list"
        return "text" if isinstance(v, str) else type(v).__name__

    whole = isinstance(default, int) and not isinstance(default, bool)
    if kind(default) != kind(value) or (whole and not isinstance(value, int)):
        wanted = "a whole number" if whole else kind(default)
        raise SpecError(
            f"parameter '{name}' is {wanted} (default {default!r}), not {value!r}",
            loc,
            hint=f"--set {name}={default!r}",
        )


__all__ = ["Limits", "Spec", "apply_overrides", "load_spec", "parse_override"]
