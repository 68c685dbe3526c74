"""Property and fuzz tests: whatever the spec, archgen answers with a result or a SpecError.

Five properties, each run by hypothesis:

1. Random specs from a grammar of the spec language (ops, blocks with args,
   concat/add, repeat with an index, side paths, $names and ${expressions} with
   functions, comparisons and conditionals, the incoming shape (in_channels),
   conditions (`if:`), tensors bound with `as:` and read back with `from:`,
   constraints, now and then a wild value where a number belongs): loading never raises
   anything but a SpecError, and every SpecError points at a line and column.
   Besides the ops whose shapes the grammar predicts by hand, it draws any op of
   the registry with values from its declaration, so a new op is fuzzed as soon
   as it is declared.
2. For the valid ones among small random specs: the static parameter count
   equals the Keras runtime count, and the generated source parses, imports and
   builds the same model (layer names, weight shapes, and the output shape of
   every layer and of the model equal to the IR's).
3. Mutated copies of every shipped spec (keys deleted or renamed, types
   swapped, huge numbers, unicode, broken references, YAML tags, anchors and
   aliases, duplicated or deleted lines, truncation, stray bytes): only
   SpecErrors with a location come out, and a mutant that still loads compiles
   to source that holds no code the spec did not ask for.
4. Hostile text in every text field and the file name: every output (docs page and
   index, DOT/SVG, the module, JSON) holds it as text.
5. Files that are not specs (links out of the folder, devices, FIFOs, loops, sparse
   files), reached by name, `extends:` or a folder: refused, unread, without a hang.

Profiles (ARCHGEN_FUZZ): `ci` (the default; deterministic, about a minute on a
shared 2-core machine) and `long` (random, many more cases; `scripts/fuzz-long`).
With ARCHGEN_FUZZ_RECORD=file the case counts are written there as JSON.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import io
import json
import math
import os
import shutil
import signal
import tempfile
import time
import urllib.parse
import zlib
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

import archgen
from archgen.backends.docs import INDEX, docs_pages
from archgen.backends.graphviz import LEVELS, dot_source, render
from archgen.errors import SpecError, SpecErrors
from archgen.ops import ALIASES, INTERNAL, REGISTRY, AttrError, ShapeError
from tests.conftest import SPECS
from tests.generated_source import import_source
from tests.test_escaping import HOSTILE, assert_safe_page, code_without_docstrings, svg_facts

PROFILE = os.environ.get("ARCHGEN_FUZZ", "ci")
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
}
# examples per test; the long profile's add up to 100,000 cases
EXAMPLES = {
    "ci": {"grammar": 400, "keras": 15, "mutants": 500, "cli": 16, "text": 120, "files": 60},
    "long": {
        "grammar": 40_000,
        "keras": 300,
        "mutants": 40_000,
        "cli": 1_400,
        "text": 15_000,
        "files": 3_300,
    },
}[PROFILE]
if PROFILE == "ci":  # the same cases every run: CI stays reproducible and bounded
    _COMMON.update(derandomize=True, database=None, print_blob=True)
else:
    _COMMON.update(print_blob=True)

# cases run, per test and outcome; written to ARCHGEN_FUZZ_RECORD at the end
COUNTS: dict[str, Counter] = {
    name: Counter()
    for name in ("grammar", "keras", "mutants", "cli_mutants", "hostile_text", "hostile_files")
}


@pytest.fixture(scope="module", autouse=True)
def record_counts():
    started = time.monotonic()
    yield
    target = os.environ.get("ARCHGEN_FUZZ_RECORD")
    if not target:
        return
    import hypothesis

    record = {
        "profile": PROFILE,
        "hypothesis": hypothesis.__version__,
        "seconds": round(time.monotonic() - started, 1),
        "cases": {name: c["cases"] for name, c in COUNTS.items()},
        "outcomes": {name: dict(sorted(c.items())) for name, c in COUNTS.items()},
        "uncaught_exceptions": sum(c["uncaught"] for c in COUNTS.values()),
    }
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(record, indent=2) + "\n")


def check_located(error: SpecError, folder: Path) -> None:
    """A SpecError (or each of several) names a file and a 1-based line and column."""
    errors = error.errors if isinstance(error, SpecErrors) else [error]
    for one in errors:
        assert one.loc.line >= 1 and one.loc.col >= 1, (one.loc, one.message)
        assert Path(one.loc.file).suffix in (".yaml", ".yml"), (one.loc, one.message)
        assert (
            Path(one.loc.file).resolve().is_relative_to(folder.resolve())
            or Path(one.loc.file).exists()
        ), one.loc
        assert one.message
        json.dumps(one.as_dict())
    error.render()  # renders without failing, whatever the text holds


def load_or_error(path: Path, counter: Counter):
    """The Architecture, or None after checking the SpecError; anything else fails."""
    try:
        arch = archgen.load(path)
    except SpecError as exc:
        counter["spec_error"] += 1
        check_located(exc, path.parent)
        return None
    except BaseException:
        counter["uncaught"] += 1
        raise
    counter["valid"] += 1
    return arch


# --- a grammar of the spec language ----------------------------------------------------


class Invalid(Exception):
    """The grammar knows this spec will not check (shapes); archgen must say so."""


# text a title may hold: anything but control characters, format characters (the
# bidirectional overrides among them) and lone surrogates; WILD below has the rest
TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Cf"))
ACTIVATIONS = sorted(ALIASES)  # the shorthands: activation ops of their own name
SPEC_OPS = sorted(name for name in REGISTRY if name not in INTERNAL)  # what a spec may name
INTERPOLATIONS = REGISTRY["resize"].attr("interpolation").type.schema["enum"]
WILD = st.one_of(
    st.integers(-3, 2**40),
    st.sampled_from([0, -1, 10**9, 2**31, 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-2, 5), max_size=3),
    st.sampled_from(["$nope", "${1 // 0}", "${width *}", "$", "${width ** 2}", "a${"]),
)


def out_size(size: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    if padding == "same":
        return -(-size // stride)
    span = (kernel - 1) * dilation + 1
    if size < span:
        raise Invalid
    return (size - span) // stride + 1


class Grammar:
    """Draws one spec. Items are (yaml value, shape function of (state, env))."""

    def __init__(self, draw, wild: bool, small: bool) -> None:
        self.draw, self.wild, self.small = draw, wild, small
        self.serial = 0
        # True once an op is drawn whose shape only archgen's own rule knows: the spec's
        # validity is then not predicted (Keras, in test 2, still checks what loads)
        self.unpredicted = False
        self.params = {
            "classes": draw(st.integers(2, 5)),
            "width": draw(st.integers(1, 6)),
            "act": draw(st.sampled_from(ACTIVATIONS)),
            "flag": draw(st.booleans()),
        }
        self.blocks: dict = {}
        self.bound: dict = {}  # names bound with `as:` at the top level -> shape when bound

    def name(self) -> str:
        self.serial += 1
        return f"n{self.serial}"

    def item_name(self, index: str | None) -> str:
        """A unique name; inside a repeat, a template with the loop index."""
        return self.name() if index is None else f"{self.name()}_${{{index}}}"

    def maybe(self, probability: float = 0.5) -> bool:
        return self.draw(st.floats(0, 1)) < probability

    def wildly(self, value):
        """`value`, or now and then (in wild specs) anything at all."""
        if self.wild and self.draw(st.integers(0, 24)) == 0:
            return self.draw(WILD)
        return value

    # --- values: (yaml, function of env) ---

    def number(self, low: int, high: int, index: str | None = None):
        n = self.draw(st.integers(low, high))
        width = self.params["width"]
        forms = [(n, lambda env: n)]
        forms.append(("$width", lambda env: width))
        forms.append(("${width * 2}", lambda env: 2 * width))
        forms.append((f"${{width + {n}}}", lambda env: width + n))
        forms.append((f"${{{n} * 2 - {n}}}", lambda env: n))  # a constant expression
        forms.append(("${max(1, width - 1)}", lambda env: max(1, width - 1)))
        forms.append(("${int(width / 2) + 1}", lambda env: int(width / 2) + 1))
        forms.append(("${width if width > 3 else 3}", lambda env: width if width > 3 else 3))
        if index is not None:
            forms.append((f"${{{index} + {n}}}", lambda env: env[index] + n))
            forms.append((f"${{({index} + 1) * {n} // 1}}", lambda env: (env[index] + 1) * n))
        text, value = self.draw(st.sampled_from(forms))
        return self.wildly(text), value

    # --- items ---

    def conv(self, index=None, keep=False):
        op = self.draw(
            st.sampled_from(["conv2d", "conv2d", "separable_conv2d", "depthwise_conv2d"])
        )
        args: dict = {}
        filters = None
        from_input = op != "depthwise_conv2d" and self.maybe(0.1)
        if from_input:  # the channels it receives, doubled
            args["filters"], filters = "${in_channels * 2}", None
        elif op != "depthwise_conv2d":
            args["filters"], filters = self.number(1, 8, index)
        kernel = self.draw(st.sampled_from([1, 2, 3, [1, 3], [3, 1]]))
        args["kernel"] = self.wildly(kernel)
        kh, kw = kernel if isinstance(kernel, list) else (kernel, kernel)
        strides = 1 if keep else self.draw(st.sampled_from([1, 1, 2]))
        padding = "same" if keep else self.draw(st.sampled_from(["same", "valid"]))
        dilation = 1
        if strides != 1 or self.maybe(0.3):
            args["strides"] = self.wildly(strides)
        if padding == "same" or self.maybe(0.3):
            args["padding"] = self.wildly(padding)
        if not keep and self.maybe(0.15):
            dilation = 2
            args["dilation"] = dilation
        multiplier = 1
        if op != "conv2d" and self.maybe(0.3):
            multiplier = self.draw(st.integers(1, 2))
            args["depth_multiplier"] = multiplier
        if self.maybe(0.3):
            args["use_bias"] = self.draw(st.booleans())
        if self.maybe(0.2):
            args["activation"] = self.draw(st.sampled_from(["$act", "relu", None]))
        if self.maybe(0.2):
            args["name"] = self.item_name(index)

        def shape(state, env):
            if strides > 1 and dilation > 1:  # Keras refuses the pair
                raise Invalid
            h, w, c = state
            h = out_size(h, kh, strides, padding, dilation)
            w = out_size(w, kw, strides, padding, dilation)
            if from_input:
                return (h, w, 2 * c)
            return (h, w, c * multiplier if filters is None else filters(env))

        return {op: args}, shape

    def simple(self, index=None):
        """A layer that keeps the shape."""
        kind = self.draw(st.integers(0, 5))
        same = lambda state, env: state  # noqa: E731
        if kind == 0:
            return "batch_norm", same
        if kind == 1:
            return {"batch_norm": {"scale": self.draw(st.booleans()), "momentum": 0.9}}, same
        if kind == 2:
            return self.draw(st.sampled_from(ACTIVATIONS)), same
        if kind == 3:
            return {"activation": {"function": self.wildly("$act")}}, same
        if kind == 4:
            return {"dropout": {"rate": self.wildly(0.25)}}, same
        name = self.item_name(index)
        return {"relu": {"name": name}}, same

    def pool(self):
        op = self.draw(st.sampled_from(["max_pool", "avg_pool"]))
        size = self.draw(st.integers(1, 3))
        strides = self.draw(st.sampled_from([None, 1, 2]))
        padding = self.draw(st.sampled_from(["valid", "same"]))
        args = {"size": self.wildly(size), "padding": padding}
        if strides is not None:
            args["strides"] = strides

        def shape(state, env):
            h, w, c = state
            step = strides or size
            return (out_size(h, size, step, padding), out_size(w, size, step, padding), c)

        return {op: args}, shape

    def reshape(self):
        kind = self.draw(st.integers(0, 2))
        if kind == 0:
            pad, (top, bottom, left, right) = self.draw(
                st.sampled_from(
                    [(1, (1, 1, 1, 1)), ([1, 2], (1, 1, 2, 2)), ([[0, 1], [2, 0]], (0, 1, 2, 0))]
                )
            )
            return {"zero_padding": {"padding": self.wildly(pad)}}, lambda s, env: (
                s[0] + top + bottom,
                s[1] + left + right,
                s[2],
            )
        if kind == 1:
            h, w = self.draw(st.integers(3, 12)), self.draw(st.integers(3, 12))
            interpolation = self.draw(st.sampled_from(INTERPOLATIONS))
            args = {"height": self.wildly(h), "width": w, "interpolation": interpolation}
            return {"resize": args}, lambda s, env: (h, w, s[2])
        return {"scale": {"scale": self.wildly(0.5)}}, lambda s, env: s

    def attribute_value(self, attr):
        """A value from the attribute's declaration: any of its choices, either truth value,
        a whole number up to twice the example (or default), else the example or default."""
        sample = attr.sample
        if "enum" in attr.type.schema:
            value = self.draw(st.sampled_from(attr.type.schema["enum"]))
        elif attr.type.schema.get("type") == "boolean":
            value = self.draw(st.booleans())
        elif isinstance(sample, int) and not isinstance(sample, bool) and sample >= 1:
            value = self.draw(st.integers(1, 2 * sample))
        else:
            value = list(sample) if isinstance(sample, tuple) else sample
        return self.wildly(value)

    def registry_op(self):
        """Any op a spec may name, its required attributes and now and then others set."""
        op = REGISTRY[self.draw(st.sampled_from(SPEC_OPS))]
        args = {a.name: self.attribute_value(a) for a in op.attrs if a.required or self.maybe(0.3)}
        self.unpredicted = True

        def shape(state, env):  # archgen's rule, so that later items fit what comes out
            try:
                values = {a.name: a.type(args.get(a.name, a.default)) for a in op.attrs}
                out = op.shape(values, [state])
            except (AttrError, ShapeError, TypeError) as exc:
                raise Invalid from exc
            if len(out) != 3:  # a vector now: the items after it take feature maps
                raise Invalid
            return out

        return ({op.name: args} if args else op.name), shape

    def concat(self, depth: int, index=None):
        count = self.draw(st.integers(2, 3))
        branches, shapes = {}, []
        for k in range(count):
            path, shape = self.path(depth + 1, self.draw(st.integers(0, 2)), index, keep=True)
            branches[self.draw(st.sampled_from(["left", "right", "pool", "b"])) + str(k)] = path
            shapes.append(shape)
        item = {"concat": branches}
        if self.maybe(0.3):
            item["name"] = self.item_name(index)

        def shape(state, env):
            outs = [s(state, env) for s in shapes]
            if len({o[:2] for o in outs}) != 1:
                raise Invalid
            return (*outs[0][:2], sum(o[2] for o in outs))

        return item, shape

    def add(self, depth: int, index=None):
        """A residual sum: the shortcut is the identity, the residual ends in a 1x1
        convolution back to the channels it received (filled in when the shapes run)."""
        residual, shape = self.path(depth + 1, self.draw(st.integers(0, 2)), index, keep=True)
        projection = {"filters": None, "kernel": 1}
        residual.append({"conv2d": projection})
        item = {"add": {"shortcut": [], "residual": residual}}
        if self.maybe(0.4):
            item["scale"] = self.wildly(0.17)
        if self.maybe(0.4):
            item["activation"] = self.draw(st.sampled_from(["relu", "$act", None]))

        def check(state, env):
            if projection["filters"] not in (None, state[2]):  # used again, other channels
                raise Invalid
            projection["filters"] = self.wildly(state[2])
            if shape(state, env)[:2] != state[:2]:
                raise Invalid
            return state

        return item, check

    def repeat(self, depth: int):
        index = self.draw(st.sampled_from(["i", "j", "k"]))
        count = self.draw(st.integers(0, 3))
        body, shape = self.path(depth + 1, self.draw(st.integers(0, 3)), index)
        item = {"repeat": self.wildly(count), "seq": body}
        if index != "i":
            item["index"] = index

        def run(state, env):
            if count == 0:  # the body is still checked: fill in what it needs
                with contextlib.suppress(Invalid):
                    shape(state, {**env, index: 0})
            for i in range(count):
                state = shape(state, {**env, index: i})
            return state

        return item, run

    def block_call(self, index=None, keep=False):
        """A call of one of a few parametric blocks, each defined on first use."""
        kind = self.draw(st.sampled_from(["unit", "res", "mix", "stack"]))
        args: dict = {}
        if kind == "unit":
            self.blocks["unit"] = {
                "doc": "Convolution, batch normalization, activation.",
                "args": {"filters": "required", "kernel": 3, "strides": 1},
                "seq": [
                    {
                        "conv2d": {
                            "filters": "$filters",
                            "kernel": "$kernel",
                            "strides": "$strides",
                            "padding": "same",
                            "use_bias": False,
                        }
                    },
                    {"batch_norm": {"scale": False}},
                    {"activation": {"function": "$act"}},
                ],
            }
            args["filters"], filters = self.number(1, 8, index)
            strides = 1 if keep else self.draw(st.sampled_from([1, 2]))
            if strides != 1:
                args["strides"] = strides

            def shape(s, env):
                return (-(-s[0] // strides), -(-s[1] // strides), filters(env))

        elif kind == "res":
            self.blocks["res"] = {
                "args": {"filters": "required", "scale": 0.2},
                "add": {
                    "shortcut": [],
                    "residual": [
                        {"conv2d": {"filters": "$filters", "kernel": 3, "padding": "same"}}
                    ],
                },
                "scale": "$scale",
                "activation": "relu",
            }

            def shape(s, env):
                if args.get("filters", s[2]) != s[2]:
                    raise Invalid
                args["filters"] = self.wildly(s[2])  # the channels it receives
                return s

        elif kind == "mix":
            self.blocks["mix"] = {
                "args": {"a": "required", "b": 3},
                "concat": {
                    "branch1x1": [{"conv2d": {"filters": "$a", "kernel": 1}}],
                    "branch3x3": [{"conv2d": {"filters": "$b", "kernel": 3, "padding": "same"}}],
                    "branch_pool": [{"max_pool": {"size": 3, "strides": 1, "padding": "same"}}],
                },
            }
            args["a"], a = self.number(1, 5, index)
            b = self.draw(st.integers(1, 4))
            args["b"] = b

            def shape(s, env):
                return (s[0], s[1], a(env) + b + s[2])

        else:
            self.blocks["stack"] = {
                "args": {"filters": "required", "n": 2},
                "seq": [
                    {
                        "repeat": "$n",
                        "seq": [{"conv2d": {"filters": "$filters", "kernel": 1, "name": "c${i}"}}],
                    },
                    "relu",
                ],
            }
            args["filters"], filters = self.number(1, 6, index)
            n = self.draw(st.integers(0, 2))
            args["n"] = self.wildly(n)

            def shape(s, env):
                return (s[0], s[1], filters(env)) if n else s

        if self.maybe(0.3):
            args["name"] = self.item_name(index)
        return {kind: args}, shape

    def item(self, depth: int, index=None, keep=False):
        choices = ["conv", "simple", "simple", "block", "condition"]
        if not keep:
            choices += ["pool", "reshape", "op"]
        if depth < 2:
            choices += ["concat", "add"] + ([] if index or keep else ["repeat"])
        if depth == 0 and index is None:
            choices += ["bind", "join", "join"] if self.bound else ["bind"]
        kind = self.draw(st.sampled_from(choices))
        if kind == "condition":
            return self.condition(depth, index, keep)
        if kind == "bind":
            return self.bind()
        if kind == "join":
            return self.join()
        if kind == "conv":
            return self.conv(index, keep)
        if kind == "simple":
            return self.simple(index)
        if kind == "pool":
            return self.pool()
        if kind == "reshape":
            return self.reshape()
        if kind == "op":
            return self.registry_op()
        if kind == "block":
            return self.block_call(index, keep)
        if kind == "concat":
            return self.concat(depth, index)
        if kind == "add":
            return self.add(depth, index)
        return self.repeat(depth)

    def condition(self, depth: int, index=None, keep=False):
        """An item that exists only when a condition holds: the identity otherwise."""
        item, shape = self.item(depth + 1, index, keep)
        if "if" in str(item):  # one condition per item: a nested one stays as it is
            return item, shape
        text, holds = self.draw(
            st.sampled_from(
                [
                    ("$flag", lambda env: self.params["flag"]),
                    ("${width > 2}", lambda env: self.params["width"] > 2),
                    (
                        "${not flag or width == 1}",
                        lambda env: not self.params["flag"] or self.params["width"] == 1,
                    ),
                ]
            )
        )
        if isinstance(item, str):
            item = {item: None}
        if self.maybe(0.5) or "repeat" in item or "side" in item:
            item = {**item, "if": self.wildly(text)}  # beside the item
        else:
            key = next(iter(item))  # the op, block or merge comes first
            if key in ("concat", "add"):
                item = {**item, "if": text}
            else:
                item = {key: {**(item[key] or {}), "if": text}}  # among its arguments

        def check(state, env):
            if holds(env):
                return shape(state, env)
            # skipped, but its values are still checked: fill in the ones the shapes
            # decide (an add's projection filters), whatever the shapes would say
            with contextlib.suppress(Invalid):
                shape(state, env)
            return state

        return item, check

    def bind(self):
        """`as:` a name for the current tensor, read back later with `from:`."""
        name = f"t{len(self.bound)}"
        self.bound[name] = None

        def shape(state, env):
            self.bound[name] = state
            return state

        return {"relu": {"as": name}}, shape

    def join(self):
        """A concat of the current tensor and one bound earlier (a skip connection)."""
        name = self.draw(st.sampled_from(sorted(self.bound)))

        def shape(state, env):
            other = self.bound[name]
            if other is None or other[:2] != state[:2]:
                raise Invalid
            return (*state[:2], state[2] + other[2])

        return {"concat": {"here": [], "skip": [{"from": name}]}}, shape

    def path(self, depth: int, length: int, index=None, keep=False):
        items, shapes = [], []
        for _ in range(length):
            item, shape = self.item(depth, index, keep)
            items.append(item)
            shapes.append(shape)

        def run(state, env):
            for shape in shapes:
                state = shape(state, env)
            return state

        return items, run

    def spec(self) -> tuple[dict, bool]:
        limit = 12 if self.small else 20
        h, w = self.draw(st.integers(4, limit)), self.draw(st.integers(4, limit))
        channels = self.draw(st.integers(1, 4))
        body, shape = self.path(0, self.draw(st.integers(1, 4 if self.small else 6)))
        head = [self.draw(st.sampled_from(["global_avg_pool", "global_max_pool", "flatten"]))]
        if self.maybe(0.3):
            head += [{"dense": {"units": self.wildly(8), "activation": "relu"}}, "dropout"]
            head[-1] = {"dropout": {"rate": 0.5}}
        head.append(
            {"dense": {"units": "$classes", "activation": "softmax", "name": "predictions"}}
        )
        side = self.maybe(0.2)
        aux = [{"side": ["global_avg_pool", {"dense": {"units": 2, "name": "aux"}}]}]
        model = body + (aux if side else []) + head
        if self.maybe(0.05):  # an empty side path: nothing happens
            model.insert(0, {"side": []})
        spec = {
            "archgen": 1,
            "name": self.draw(st.sampled_from(["net", "tiny", "fuzz_net", "model2"])),
            "title": self.wildly(self.draw(st.text(TEXT, max_size=20))),
            "input": [self.wildly(h), w, channels],
            "params": self.params,
        }
        blocks = {k: v for k, v in self.blocks.items() if v is not None}
        if blocks:
            spec["blocks"] = blocks
        broken = False
        if self.maybe(0.15):
            limit = self.draw(st.integers(1, 6))
            spec["constraints"] = {"narrow_enough": f"${{width <= {limit}}}"}
            broken = self.params["width"] > limit
        spec["model"] = model
        if side:
            spec["outputs"] = ["predictions", "aux"]
        try:
            final = shape((h, w, channels), {})
            expected = min(final) >= 1 and math.prod(final) <= 1 << 20
        except (Invalid, KeyError, TypeError, ValueError):
            expected = False
        expected = expected and not self.unpredicted and not broken
        return spec, expected


@st.composite
def grammar_specs(draw, wild: bool = False, small: bool = False):
    return Grammar(draw, wild, small).spec()


def vector_spec(draw) -> dict:
    return {
        "archgen": 1,
        "name": "vec",
        "input": [draw(st.integers(1, 16))],
        "params": {"classes": 3},
        "model": [
            {"dense": {"units": draw(st.integers(1, 8)), "activation": "relu"}},
            draw(st.sampled_from(["relu", {"dropout": {"rate": 0.1}}, {"scale": {"scale": 2.0}}])),
            {"dense": {"units": "$classes", "name": "predictions"}},
        ],
    }


def dump(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder holding a copy of every shipped spec, so that `extends:` finds its base."""
    folder = tmp_path_factory.mktemp("fuzz")
    for path in SPECS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    return folder


# --- 1. the grammar: nothing but SpecError ------------------------------------------------


@pytest.mark.filterwarnings("error::graphviz.DotSyntaxWarning")  # a DOT file dot cannot read
@settings(max_examples=EXAMPLES["grammar"], **_COMMON)
@given(case=grammar_specs(wild=True))
def test_random_specs_check_or_fail_with_a_located_spec_error(workdir, case):
    spec, _ = case
    path = workdir / "grammar.yaml"
    path.write_text(dump(spec))
    COUNTS["grammar"]["cases"] += 1
    arch = load_or_error(path, COUNTS["grammar"])
    if arch is not None:
        summary = arch.summary()
        json.dumps(summary)
        assert arch.totals.params == sum(node.params for node in arch.layers)
        arch.diagram("layers", "dot")


# --- 2. valid specs: static analysis, Keras and the generated source agree --------------------


EMPTY_REPEAT = {  # the generated source once had a `for` loop without a body
    "archgen": 1,
    "name": "net",
    "input": [8, 8, 3],
    "model": [{"repeat": 2, "seq": []}, {"side": []}, "relu", "global_avg_pool"],
}


@settings(max_examples=EXAMPLES["keras"], **_COMMON)
@example(case=(EMPTY_REPEAT, True))
@given(case=st.one_of(grammar_specs(small=True), st.composite(lambda d: (vector_spec(d), True))()))
def test_valid_specs_agree_with_keras_and_the_generated_source(workdir, keras, case):
    spec, expected_valid = case
    path = workdir / "valid.yaml"
    path.write_text(dump(spec))
    counter = COUNTS["keras"]
    counter["cases"] += 1
    arch = load_or_error(path, counter)
    if arch is None:
        # the grammar predicts the shapes: archgen must accept what it predicts valid
        assert not expected_valid, dump(spec)
        reject()
    # whatever archgen accepts, Keras must build as analysed
    try:
        runtime = arch.keras_model()
        assert runtime.count_params() == arch.totals.params
        trainable = sum(math.prod(w.shape) for w in runtime.trainable_weights)
        assert trainable == arch.totals.trainable
        source = arch.python_source()
        ast.parse(source)
        counter["models"] += 1
        module = import_source(source, workdir, f"fuzz_model_{counter['models']}")
        generated = module.build_model()
        assert [layer.name for layer in generated.layers] == [
            layer.name for layer in runtime.layers
        ]
        assert [tuple(w.shape) for w in generated.weights] == [
            tuple(w.shape) for w in runtime.weights
        ]
        assert generated.count_params() == arch.totals.params
        ir_outputs = [node.shape for node in arch.outputs]
        assert [tuple(t.shape[1:]) for t in runtime.outputs] == ir_outputs
        assert [tuple(t.shape[1:]) for t in generated.outputs] == ir_outputs
        ir_shapes = {node.name: node.shape for node in arch.layers}
        for layer in generated.layers:
            assert tuple(layer.output.shape[1:]) == ir_shapes[layer.name], layer.name
    except BaseException:
        counter["uncaught"] += 1
        raise
    finally:
        keras.backend.clear_session()


# --- 3. mutated copies of every shipped spec ------------------------------------------------------

SHIPPED = sorted(SPECS.glob("*.yaml"))
_DATA = {path.name: yaml.safe_load(path.read_text()) for path in SHIPPED}

KEYS = ["seq", "concat", "add", "repeat", "side", "name", "args", "extends", "outputs", "index"]
HUGE = [10**9, 2**31, 2**33, 2**63, 10**30, -(10**9), 10**400, 1e308, float("inf"), float("nan")]
REFERENCES = ["$classes", "${classes * 1000000}", "${1 // 0}", "${", "$", "${i}", "mixed${i"]
# expressions that nest or run long: the parser, evaluator and printer recurse on them
LONG_EXPRESSIONS = st.integers(1, 3000).flatmap(
    lambda n: st.sampled_from(
        [
            "${" + "(" * n + "1" + ")" * n + "}",
            "${" + "-" * n + "1}",
            "${" + " + ".join(["classes"] * n) + "}",
            "x${" + " * ".join(["2"] * n) + "}",
        ]
    )
)
# integer literals past Python's 4,300-digit str() limit, in every base YAML 1.1 reads,
# and inside expressions; then numbers written to overflow what they multiply
BIG_INTEGERS = st.integers(20, 60_000).flatmap(
    lambda n: st.sampled_from(
        [
            "9" * n,
            "-" + "9" * n,
            "0x" + "f" * n,
            "0o" + "7" * n,
            "0b" + "1" * n,
            "1" + "_000" * n,
            "1e" + "9" * min(n, 30),
            '"${' + "9" * n + '}"',
            '"${' + " * ".join(["999999999"] * min(n, 90)) + '}"',
            '"${0x' + "f" * n + '}"',
        ]
    )
)
# names at and past the 64-character limit, plain and as templates filled in
LONG_NAMES = st.integers(60, 100_000).flatmap(
    lambda n: st.sampled_from(
        ["a" * n, "x" * n + "${i}", '"${i}' + "y" * n + '"', "b" + "_c" * (n // 2)]
    )
)
TAGS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!python/object/new:tuple []",
    "!!binary aGVsbG8=",
    "!!set",
    "!!omap",
    "!!timestamp 2001-12-14",
    "!custom",
    "!!str",
    "!!int",
    "!!float",
    "!<tag:yaml.org,2002:python/none>",
]
UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SWAPS = [None, True, 7, -1, 1.5, "text", "", [], [1, 2], {}, {"x": 1}, ["relu"], {"relu": None}]


def nodes(value, path=()):
    """Paths to every mapping value and list item."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*path, key))
            found += nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((*path, index))
            found += nodes(child, (*path, index))
    return found


def parent_of(data, path):
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def data_mutation(draw, data):
    paths = nodes(data)
    path = draw(st.sampled_from(paths))
    parent, last = parent_of(data, path), path[-1]
    operation = draw(
        st.sampled_from(["delete", "swap", "huge", "unicode", "rename", "reference", "wild"])
    )
    if operation == "delete":
        del parent[last]
    elif operation == "swap":
        parent[last] = copy.deepcopy(draw(st.sampled_from(SWAPS)))
    elif operation == "huge":
        parent[last] = draw(st.one_of(st.sampled_from(HUGE), st.integers(-(2**70), 2**70)))
    elif operation == "unicode":
        parent[last] = draw(UNICODE)
    elif operation == "rename" and isinstance(parent, dict):
        new_key = draw(st.one_of(st.sampled_from(KEYS), UNICODE))
        parent[new_key] = parent.pop(last)
    elif operation == "reference":
        parent[last] = draw(
            st.one_of(
                st.sampled_from(REFERENCES),
                st.text("${}()+-*/%0123456789ijx_ ", max_size=12),
                LONG_EXPRESSIONS,
            )
        )
    else:
        parent[last] = draw(WILD)
    return data


def lines_with_values(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines()) if ": " in line]


@st.composite
def text_mutation(draw, text: str):
    lines = text.splitlines() or [""]
    operation = draw(
        st.sampled_from(
            [
                "tag",
                "alias",
                "merge",
                "bomb",
                "duplicate",
                "drop",
                "truncate",
                "insert",
                "nest",
                "big_integer",
                "long_name",
            ]
        )
    )
    candidates = lines_with_values(text) or [0]
    n = draw(st.sampled_from(candidates))
    line = lines[n] if lines else ""
    key, _, value = line.partition(": ")
    if operation == "tag":
        lines[n] = f"{key}: {draw(st.sampled_from(TAGS))} {value}"
    elif operation == "alias":
        m = draw(st.sampled_from(candidates))
        lines[n] = f"{key}: &anchor {value}"
        other_key = lines[m].partition(": ")[0]
        lines[m] = f"{other_key}: *anchor"
    elif operation == "merge":
        indent = line[: len(line) - len(line.lstrip())]
        lines.insert(n, f"{indent}<<: {{x: 1}}")
    elif operation == "bomb":
        lines.append('l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]')
        for k in range(1, 9):
            lines.append(f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]")
    elif operation == "duplicate":
        lines.insert(n, line)
    elif operation == "drop":
        lines.pop(n)
    elif operation == "big_integer":  # as YAML reads it, and inside an expression
        lines[n] = f"{key}: {draw(BIG_INTEGERS)}"
    elif operation == "long_name":
        lines[n] = f"{key}: {draw(LONG_NAMES)}"
    elif operation == "nest":
        depth = draw(st.integers(60, 3000))
        lines[n] = f"{key}: " + "[" * depth + "1" + "]" * depth
    elif operation == "truncate":
        joined = "\n".join(lines)
        return joined[: draw(st.integers(0, len(joined)))]
    else:
        column = draw(st.integers(0, len(line)))
        extra = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4))
        lines[n] = line[:column] + extra + line[column:]
    return "\n".join(lines) + "\n"


@st.composite
def mutants(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(_DATA)))
    data = copy.deepcopy(_DATA[name])
    for _ in range(draw(st.integers(0, 3))):
        if not nodes(data):
            break
        data = draw(data_mutation(data))
    try:
        text = dump(data)
    except (yaml.YAMLError, ValueError, OverflowError):  # not representable: the original
        text = (SPECS / name).read_text()
    for _ in range(draw(st.integers(0 if text != (SPECS / name).read_text() else 1, 2))):
        text = draw(text_mutation(text))
    raw = text.encode("utf-8")
    if draw(st.integers(0, 19)) == 0:  # stray bytes: not UTF-8 any more
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return name, raw


def no_injected_code(source: str) -> None:
    """The module holds what the generator writes: imports, classes, functions, the alias."""
    allowed = (ast.Expr, ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.Assign)
    tree = ast.parse(source)
    for node in tree.body:
        assert isinstance(node, (*allowed, ast.If)), ast.dump(node)[:200]
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Attribute) and node.attr in ("system", "popen")), source
        assert not (isinstance(node, ast.Name) and node.id in ("eval", "exec", "__import__"))


@settings(max_examples=EXAMPLES["mutants"], **_COMMON)
@given(case=mutants())
def test_mutated_shipped_specs_fail_only_with_located_spec_errors(workdir, case):
    name, raw = case
    path = workdir / f"mutant_{name}"
    path.write_bytes(raw)
    counter = COUNTS["mutants"]
    counter["cases"] += 1
    arch = load_or_error(path, counter)
    if arch is None:
        return
    try:
        json.dumps(arch.summary())
        if zlib.crc32(raw) % 4 == 0:  # the source generator on a quarter of the survivors
            no_injected_code(arch.python_source())
            counter["sources"] += 1
    except SpecError as exc:  # the source generator may refuse a spec, with a location
        counter["source_spec_error"] += 1
        check_located(exc, workdir)
    except BaseException:
        counter["uncaught"] += 1
        raise


# --- the command line on a few mutants: exit 1, no traceback ------------------------------------


@settings(max_examples=EXAMPLES["cli"], **_COMMON)
@given(case=mutants())
def test_the_cli_answers_mutants_with_exit_0_or_1_and_no_traceback(workdir, case):
    from archgen.cli import main

    name, raw = case
    path = workdir / f"cli_mutant_{name}"
    path.write_bytes(raw)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(path)])
    COUNTS["cli_mutants"]["cases"] += 1
    COUNTS["cli_mutants"][f"exit_{code}"] += 1
    assert code in (0, 1), err.getvalue()
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
    if code == 1:
        assert f"{path}:" in err.getvalue()


# --- 4. hostile text in every text field, through every output -----------------------------------

TEXT_SPEC = """\
archgen: 1
name: net
title: {title}
source: {source}
doc: {doc}
input: [16, 16, 3]
blocks:
  unit:
    doc: {block_doc}
    args: {{filters: 4}}
    seq: [conv2d: {{filters: $filters, kernel: 3, padding: same}}, relu]
model:
  - unit: {{name: first}}
  - concat: {{a: [relu], b: [sigmoid]}}
  - global_avg_pool
"""
TEXT_FIELDS = ("title", "source", "doc", "block_doc")
# text that means something to a format archgen writes: Markdown, HTML, DOT, Python, JSON
MARKUP = [
    *HOSTILE,
    "<",
    ">",
    "&",
    '"',
    "'",
    "\\",
    "`",
    "*",
    "_",
    "[",
    "](",
    "-->",
    "<!--",
    "</script>",
    "javascript:",
    "\\n",
    "{{ x }}",
    "{% raw %}",
    "${x}",
    "$x",
    "]]>",
    "\u2028",
    "\u00a0",
]
# file names: what a `/` or NUL-free name can hold (the folder is archgen's own)
FILE_NAME_PARTS = ["net", " ", "-->", "<b>", "[a](javascript:x)", "`", "&amp;", "%41", "#", "é"]
HOSTILE_TEXT = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.text(TEXT, max_size=6)), min_size=1, max_size=5
).map("".join)


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted string of `text`, every non-ASCII character escaped (JSON
    would write characters outside the BMP as surrogate pairs, which YAML refuses)."""

    def escaped(char: str) -> str:
        if char in '"\\':
            return "\\" + char
        if " " <= char <= "~":
            return char
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"

    return '"' + "".join(map(escaped, text)) + '"'


@st.composite
def hostile_text_specs(draw) -> tuple[str, dict]:
    fields = {field: draw(HOSTILE_TEXT) for field in TEXT_FIELDS}
    parts = draw(st.lists(st.sampled_from(FILE_NAME_PARTS), min_size=1, max_size=4))
    suffix = draw(st.sampled_from([".yaml", ".yml"]))
    return "".join(parts) + suffix, fields


@functools.cache
def plain_outputs(folder: Path) -> tuple:
    """What the spec's outputs hold with plain text: the code and diagrams must not change."""
    path = folder / "plain.yaml"
    path.write_text(TEXT_SPEC.format(**{field: "Net" for field in TEXT_FIELDS}))
    arch = archgen.load(path)
    nodes = {level: svg_facts(render(dot_source(arch, level), "svg"))[0] for level in LEVELS}
    return code_without_docstrings(arch.python_source()), nodes


@settings(max_examples=EXAMPLES["text"], **_COMMON)
@given(case=hostile_text_specs())
def test_hostile_text_is_text_in_every_output(workdir, case):
    """Markup in the title, source, doc and a block's doc, and in the file name: the docs
    page and index link only to archgen's files and pass no HTML but the banner; the DOT
    text draws no link and no extra node; the module's code is the plain spec's; the JSON
    holds the text as written."""
    file_name, fields = case
    counter = COUNTS["hostile_text"]
    counter["cases"] += 1
    folder = workdir / "text"
    folder.mkdir(exist_ok=True)
    path = folder / file_name
    path.write_text(TEXT_SPEC.format(**{k: yaml_quoted(v) for k, v in fields.items()}))
    arch = load_or_error(path, counter)
    path.unlink()
    if arch is None:
        return
    plain_code, plain_nodes = plain_outputs(folder)
    files = docs_pages([(arch, path)], folder / "docs")
    link = "../" + urllib.parse.quote(file_name, safe="/")
    assert_safe_page(files["net.md"].decode(), {"net.blocks.svg", "net.layers.svg", link})
    assert_safe_page(files[INDEX].decode(), {"net.md", link})
    assert code_without_docstrings(arch.python_source()) == plain_code
    assert json.loads(json.dumps(arch.summary()))["title"] == fields["title"]
    if zlib.crc32(file_name.encode() + fields["title"].encode()) % 8 == 0:  # dot is slow
        level = LEVELS[len(file_name) % 2]
        nodes, links, _ = svg_facts(render(dot_source(arch, level), "svg"))
        assert links == [] and nodes == plain_nodes[level]
        counter["drawn"] += 1


# --- 5. files that are not what they seem -------------------------------------------------------

SECRET = "SECRET_TOKEN=hunter2"
FILE_KINDS = [
    "link_outside",  # a symlink to a file outside the folder (a .env, a key)
    "link_chain_outside",  # a link to a link in the folder to a file outside it
    "link_to_proc",  # /proc/self/environ
    "dev_zero",
    "dev_urandom",
    "fifo",
    "loop",
    "dangling",
    "folder",
    "sparse_10gb",  # st_size says 10 GB, the disk holds nothing
    "empty",
]
ROLES = ["spec", "extends", "in_folder"]


def make_hostile(folder: Path, name: str, kind: str) -> Path:
    path = folder / name
    outside = folder.parent / "secret.yaml"
    outside.write_text(SECRET + "\n")
    if kind == "link_outside":
        path.symlink_to(outside)
    elif kind == "link_chain_outside":
        (folder / "hop.yaml").symlink_to(outside)
        path.symlink_to("hop.yaml")
    elif kind == "link_to_proc":
        path.symlink_to("/proc/self/environ")
    elif kind in ("dev_zero", "dev_urandom"):
        path.symlink_to("/dev/" + kind.removeprefix("dev_"))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to("other.yaml")
        (folder / "other.yaml").symlink_to(name)
    elif kind == "dangling":
        path.symlink_to("missing.yaml")
    elif kind == "folder":
        path.mkdir()
    elif kind == "sparse_10gb":
        with open(path, "wb") as sparse:
            sparse.truncate(10 << 30)
    else:
        path.write_bytes(b"")
    return path


@contextlib.contextmanager
def alarm(seconds: int):
    """A hang (a FIFO opened, /dev/zero read to the end) fails the case, not the suite."""

    def hung(signum, frame):
        raise TimeoutError(f"no answer in {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=EXAMPLES["files"], **_COMMON)
@given(
    kind=st.sampled_from(FILE_KINDS),
    role=st.sampled_from(ROLES),
    name=st.sampled_from(["x.yaml", "x.yml", "x y.yaml", "-x.yaml"]),
    command=st.sampled_from(["check", "summary"]),
)
def test_files_that_are_not_specs_are_refused_unread(kind, role, name, command):
    """Whatever the file is and however it is reached (named, `extends:`, met in a folder):
    exit 1 (not a spec) or 4 (not a file archgen reads; 2 for a folder with no spec named
    on the command line), a message, no traceback,
    no hang, and nothing of a file outside the folder in the output."""
    from archgen.cli import main

    counter = COUNTS["hostile_files"]
    counter["cases"] += 1
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "specs"
        folder.mkdir()
        path = make_hostile(folder, name, kind)
        target = {"spec": path, "in_folder": folder}.get(role)
        if role == "extends":
            target = folder / "variant.yaml"
            target.write_text(f"archgen: 1\nextends: '{name}'\nname: v\n")
        out, err = io.StringIO(), io.StringIO()
        with alarm(20), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([command, str(target)])
    said = out.getvalue() + err.getvalue()
    counter[f"exit_{code}"] += 1
    named_folder = kind == "folder" and role == "spec"  # a folder with no spec: bad usage
    assert code in ((2,) if named_folder else (1, 4)), said
    assert "Traceback" not in said and "internal error" not in said, said
    assert "SECRET_TOKEN" not in said and "hunter2" not in said, said
    assert "error:" in said and len(said) < 2000, said
