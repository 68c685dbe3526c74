"""Bounded work on specs that are accepted or almost: many errors at once, the hint behind
a shape error, the evaluator, deep chains through Keras. No test here times anything; a
generous subprocess timeout only keeps a regression from hanging the suite."""

from __future__ import annotations

import difflib

import pytest

import archgen
import archgen.errors
from archgen.errors import SpecError
from archgen.passes import min_input
from tests.test_security import HEADER, assert_located_error, run_cli, spec_file


def many_unknown_ops(count: int) -> str:
    """`count` blocks and `count` items naming unknown ops: each error searches the blocks
    for a did-you-mean hint."""
    blocks = "".join(f"  blk{i}:\n    seq: [relu]\n" for i in range(count))
    items = "".join(f"  - reluu{i}\n" for i in range(count))
    return HEADER + "blocks:\n" + blocks + "model:\n" + items


def test_hints_are_searched_only_for_the_errors_shown(tmp_path, monkeypatch):
    searches = []
    search = difflib.get_close_matches

    def counted(*args, **kwargs):
        searches.append(args[0])
        return search(*args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counted)
    path = spec_file(tmp_path, many_unknown_ops(300))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert len(info.value.errors) == 300
    # the first errors (those shown) still get their hints; the others cost nothing
    assert len(searches) == archgen.errors.MAX_ERRORS_SHOWN
    assert "... and 250 more errors" in info.value.render()


def test_the_source_lines_are_read_once_per_file(tmp_path):
    path = spec_file(tmp_path, many_unknown_ops(300))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    archgen.errors._file_lines.cache_clear()
    text = info.value.render()
    assert text.count("  - reluu") == archgen.errors.MAX_ERRORS_SHOWN  # each with its line
    cache = archgen.errors._file_lines.cache_info()
    assert cache.misses == 1 and cache.hits == archgen.errors.MAX_ERRORS_SHOWN - 1


def test_20000_errors_are_reported_in_bounded_time_and_memory(tmp_path):
    # before: over 5 minutes and 3.3 GB (a hint search per error over 20,000 blocks, and
    # each error's traceback kept every frame's list of candidates alive)
    path = spec_file(tmp_path, many_unknown_ops(20_000))
    run = run_cli("check", path, cwd=tmp_path, timeout=120)
    assert_located_error(run, path, "unknown op or block 'reluu0'")
    assert "... and 19,950 more errors" in run.err
    assert run.peak_mb < 600, run.peak_mb


# --- the smallest-input scan behind a shape error's hint ---------------------------------------


# The input passes every relu, then 12 valid 2x2 poolings need 4,096 pixels: no square size
# up to the scan limit works, so the full scan evaluates 2,048 sizes x every layer.
def deep_too_small(relus: int) -> str:
    return (
        HEADER
        + "model:\n"
        + "".join("  - relu\n" for _ in range(relus))
        + "  - repeat: 12\n    seq: [max_pool: {size: 2, strides: 2, padding: valid}]\n"
    )


def test_the_hint_behind_a_too_small_error_has_a_budget(tmp_path, monkeypatch):
    path = spec_file(tmp_path, deep_too_small(100))
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert "no square input up to 2048 works" in info.value.hint  # within the budget
    spent = []
    accepts = min_input.accepts

    def counted(graph, size, budget=None):
        spent.append(size)
        return accepts(graph, size, budget)

    monkeypatch.setattr(min_input, "accepts", counted)
    monkeypatch.setattr(min_input, "MIN_INPUT_HINT_BUDGET", 10 * 113)
    with pytest.raises(SpecError) as info:
        archgen.load(path)
    assert "the smallest input was not searched: the network is large" in info.value.hint
    assert "archgen min-input" in info.value.hint
    assert len(spent) <= 11  # 10 sizes of 113 layers, and the one that ran out
    # `archgen min-input` (the Architecture's min_input) keeps the full scan
    monkeypatch.setattr(min_input, "MIN_INPUT_SCAN_LIMIT", 4096)
    arch = archgen.load(spec_file(tmp_path, deep_too_small(100).replace("[8, 8", "[4096, 4096")))
    assert arch.min_input == 4096


def test_a_too_small_error_in_a_30000_layer_spec_comes_back_promptly(tmp_path):
    # before: the hint scanned 2,048 sizes x 30,000 layers (over a minute)
    path = spec_file(tmp_path, deep_too_small(30_000))
    run = run_cli("check", path, cwd=tmp_path, timeout=60)
    assert_located_error(run, path, "max_pool")
    assert "the smallest input was not searched" in run.err


# --- deep chains through Keras -------------------------------------------------------------


def test_a_1000_layer_chain_builds_in_keras_and_from_the_generated_source(tmp_path):
    """keras.Model walks the functional graph one recursive call per layer: a chain of
    some 990 layers hit Python's default recursion limit of 1,000 (a RecursionError).
    The runtime back end raises the limit while it builds, and restores it."""
    import sys

    path = spec_file(tmp_path, HEADER + "model:\n" + "  - relu\n" * 1000)
    arch = archgen.load(path)
    limit = sys.getrecursionlimit()
    model = arch.keras_model()
    assert len(model.layers) == 1001
    assert sys.getrecursionlimit() == limit
    # the generated module makes the same room itself
    source = arch.python_source()
    assert "import sys\n" in source and "sys.setrecursionlimit(" in source
    namespace: dict = {}
    exec(compile(source, "net.py", "exec"), namespace)
    assert len(namespace["build_model"]().layers) == 1001


def test_build_prints_no_tensorflow_start_up_lines(tmp_path):
    """TensorFlow logs oneDNN and CPU-feature lines at import unless TF_CPP_MIN_LOG_LEVEL is
    set first: archgen sets it (keeping a value the user set) before importing Keras."""
    import os
    import subprocess
    import sys

    path = spec_file(tmp_path, HEADER + "model:\n  - conv2d: {filters: 4, kernel: 3}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    done = subprocess.run(
        [sys.executable, "-m", "archgen", "build", str(path), "-o", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Keras agrees" in done.stdout
    assert done.stderr == "", done.stderr


# --- the evaluator's work ------------------------------------------------------------------------


def test_a_chain_of_blocks_squaring_an_argument_stops_at_the_number_limit(tmp_path):
    """Each block passes ${a*a*...} to the next: the 1e18 bound on every result stops the
    growth at the third link, with the expression located."""
    blocks = "".join(
        f"  b{i}:\n    args: {{a: 1}}\n    seq:\n"
        + (f'      - b{i + 1}: {{a: "${{{"*".join(["a"] * 10)}}}"}}\n' if i < 59 else "")
        + "      - relu\n"
        for i in range(60)
    )
    path = spec_file(tmp_path, HEADER + "blocks:\n" + blocks + "model:\n  - b0: {a: 2}\n")
    run = run_cli("check", path, cwd=tmp_path, timeout=60)
    assert_located_error(run, path, "beyond the limit of 1e+18")


def test_unused_block_arguments_cost_no_evaluation(tmp_path, monkeypatch):
    """A block with 200 arguments it never reads, each given a 50-term ${...}, called in a
    repeat of 10,000: a 24 kB file that took 155 s (10^8 evaluation steps) to accept.
    Here 50 repeats, counting the expressions evaluated instead of timing them."""
    from archgen.language import expr

    evaluated = []
    original = expr.Expr.evaluate

    def counted(self, env):
        evaluated.append(self)
        return original(self, env)

    monkeypatch.setattr(expr.Expr, "evaluate", counted)
    term = "${" + "+".join(["i"] * 50) + "}"
    args = ", ".join(f"a{j}: 1" for j in range(200))
    call = ", ".join(f'a{j}: "{term}"' for j in range(200))
    text = (
        HEADER
        + f"blocks:\n  b:\n    args: {{{args}}}\n    seq: [relu]\n"
        + f"model:\n  - repeat: 50\n    seq:\n      - b: {{{call}}}\n"
    )
    arch = archgen.load(spec_file(tmp_path, text))
    assert len(arch.layers) == 51
    assert len(evaluated) <= 10 * len(arch.layers), len(evaluated)


# --- diagrams: what is handed to `dot` is bounded, and so is its time ---------------------------


def wide_concat(branches: int) -> str:
    lines = "".join(f"      b{i}: [relu]\n" for i in range(branches))
    return HEADER + "model:\n  - concat:\n" + lines


def test_a_concat_of_1000_branches_is_refused_in_the_layers_view_not_laid_out(tmp_path):
    """dot took 135 s on this layers view (300 branches: 7 s); it is refused at once, at
    the first branch, and the blocks view (one box for the concat) is still drawn."""
    path = spec_file(tmp_path, wide_concat(1000))
    run = run_cli("diagram", path, "--level", "layers", "-o", "out.svg", cwd=tmp_path, timeout=60)
    assert_located_error(run, path, "would draw 1,000 branches side by side", line=6)
    assert "MAX_DIAGRAM_ROW" in run.err and not (tmp_path / "out.svg").exists()
    run = run_cli("diagram", path, "-o", "blocks.svg", cwd=tmp_path, timeout=60)
    assert run.code == 0, run.err


def test_build_draws_the_blocks_view_where_the_layers_view_is_too_large(tmp_path):
    path = spec_file(tmp_path, wide_concat(400))
    run = run_cli("build", path, "-o", "out", "--no-verify", cwd=tmp_path, timeout=120)
    assert run.code == 0, run.err
    assert "note: layers view not drawn" in run.out
    layers = (tmp_path / "out" / "net.layers.svg").read_text()
    assert "layers view not drawn" in layers  # the caption says what the file holds
    assert layers.count('class="node"') < 10  # input, the concat's box, output, legend


def test_a_diagram_of_more_boxes_than_the_limit_is_refused(tmp_path):
    path = spec_file(
        tmp_path,
        HEADER + "model:\n  - repeat: 3\n    index: k\n    seq:\n"
        "      - repeat: 4000\n        seq: [relu]\n",
    )
    run = run_cli("diagram", path, "-o", "out.svg", cwd=tmp_path, timeout=60)
    assert_located_error(run, path, "would draw 12,001 boxes", line=2)


def test_dot_is_stopped_at_its_timeout_and_its_failures_are_reported(tmp_path, monkeypatch):
    from archgen.backends import graphviz as backend
    from archgen.errors import EnvError

    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backend, "DOT_TIMEOUT_SECONDS", 1)
    arch = archgen.load(spec_file(tmp_path, HEADER + "model: [relu]\n"))
    with pytest.raises(EnvError, match="took more than 1 s"):
        arch.diagram()
    slow.write_text("#!/bin/sh\necho 'Error: trapezoid-table overflow' >&2\nexit 1\n")
    with pytest.raises(EnvError, match="dot failed \\(exit 1\\): Error: trapezoid-table overflow"):
        arch.diagram()
