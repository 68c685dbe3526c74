"""Benchmarks: archgen against Keras for speed, memory, scaling, building, inference, diagrams.

    .venv/bin/python benchmarks/run.py        # everything (~15 min), writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick -o /tmp/quick.md     # a smoke run (~1 min)
    .venv/bin/python benchmarks/run.py --sections cli,scaling -o /tmp/part.md

Every case runs `--warmup` times untimed, then `--runs` times; tables show the
median (and the range). Cases that are compared take turns, one run each per
round, so that a change of machine load hits both sides alike. Whole processes
are timed from spawn to exit, with their CPU time and peak memory (maximum
resident set size) from os.wait4 (see LAUNCHER). The measurements that need an
interpreter of their own are in benchmarks/probes.py; the diagram measurements
are benchmarks/bench_diagrams.py's own. Nothing here asserts a time: goals are
reported, met or missed, in the results file. Run it on an idle machine; the
results record the load average they were measured under.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
RESULTS = BENCHMARKS / "RESULTS.md"
PYTHON = sys.executable
SECTIONS = ("cli", "scaling", "build", "inference", "diagrams")

# Goals, from the benchmarks issue.
SPEEDUP_GOAL = 30.0  # archgen check/summary at least this many times faster than Keras
MEMORY_GOAL = 0.10  # ... using at most this fraction of Keras's peak memory
CHECK_10K_GOAL = 1.0  # seconds: a 10,000-layer spec checked (whole process)
DOUBLING_GOAL = 2.2  # twice the layers cost at most this many times the time
RUNTIME_BUILD_GOAL = 1.10  # archgen.load(spec).keras_model() / keras.applications
SOURCE_BUILD_GOAL = 1.05  # generated build_model() / keras.applications
INFERENCE_GOAL = (0.95, 1.05)  # archgen model's inference time / keras.applications'


@dataclass(frozen=True)
class Model:
    spec: str  # specs/<spec>.yaml, generated/<spec>.py
    application: str  # the keras.applications constructor

    @property
    def spec_path(self) -> Path:
        return ROOT / "specs" / f"{self.spec}.yaml"


MODELS = [
    Model("inception_v3", "InceptionV3"),
    Model("xception", "Xception"),
    Model("inception_resnet_v2", "InceptionResNetV2"),
]
SCALING_SIZES = [100, 1_000, 10_000, 20_000, 50_000]  # 20,000: one literal doubling
QUICK_SIZES = [100, 1_000]


# --- measuring child processes ---------------------------------------------------------


@dataclass
class Runs:
    """The timed runs of one case: wall and CPU seconds and, for whole processes,
    peak memory."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, times: dict[str, list[float]]) -> Runs:
        """From a probe's {"wall": [...], "cpu": [...]}."""
        return cls(seconds=times["wall"], cpu=times["cpu"])

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak_mib(self) -> float:
        return statistics.median(self.peak_kib) / 1024

    def spread(self) -> str:
        return f"{seconds(min(self.seconds))} – {seconds(max(self.seconds))}"


def child_env() -> dict[str, str]:
    """The same environment for every child, archgen's and Keras's alike."""
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


# Starts the measured process and waits for it: a process's peak memory counts the
# memory of the process it was forked from (Linux keeps the high-water mark across
# exec), and this runner is larger than the smallest processes it measures; a bare
# interpreter is not. os.wait4 gives the resources of exactly that process
# (RUSAGE_CHILDREN would give the largest of every child waited for so far).
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    report.write(f"{wall} {cpu} {usage.ru_maxrss} {code}")
"""


def run_process(argv: list[str]) -> tuple[float, float, int, str]:
    """Run one process to its end: wall seconds, CPU seconds (user and system, every
    thread), peak resident memory in KiB, and its stdout. Output goes to files, so
    a large summary never blocks on a pipe.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as measured,
    ):
        launcher = [PYTHON, "-S", "-E", "-c", LAUNCHER, measured.name]
        done = subprocess.run(
            [*launcher, *argv], stdout=out, stderr=err, cwd=ROOT, env=child_env(), check=False
        )
        wall, cpu, peak, code = measured.read().split()
        if done.returncode != 0 or int(code) != 0:
            err.seek(0)
            raise RuntimeError(f"{shlex.join(argv)} exited with {code}:\n{err.read().decode()}")
        out.seek(0)
        return float(wall), float(cpu), int(peak), out.read().decode()


def process_turns(cases: dict[str, list[str]], runs: int, warmup: int) -> dict[str, Runs]:
    """Whole-process runs of every case, taking turns (the order rotates each round)."""
    for _ in range(warmup):
        for argv in cases.values():
            run_process(argv)
    results = {name: Runs() for name in cases}
    names = list(cases)
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed, cpu, peak, _ = run_process(cases[name])
            results[name].seconds.append(elapsed)
            results[name].cpu.append(cpu)
            results[name].peak_kib.append(peak)
    return results


def compile_archgen() -> str:
    """Byte-compile archgen, as an installed package is; returns where.

    An editable install has no bytecode until Python writes it, and this
    environment may forbid that (PYTHONDONTWRITEBYTECODE): every `archgen`
    process would compile archgen's sources again, while Keras and TensorFlow
    start from the .pyc files their installation wrote. The .pyc files go to
    __pycache__ folders beside the sources, which git ignores.
    """
    package = Path(importlib.util.find_spec("archgen").origin).parent
    compileall.compile_dir(package, quiet=1)
    return str(package)


def probe(*args: str, runs: int, warmup: int) -> dict:
    """Run a measurement of benchmarks/probes.py in its own interpreter; its JSON result."""
    script = str(BENCHMARKS / "probes.py")
    argv = [PYTHON, script, *args, "--runs", str(runs), "--warmup", str(warmup)]
    *_, out = run_process(argv)
    return json.loads(out.strip().splitlines()[-1])


def archgen_command() -> list[str]:
    """The installed `archgen` console script beside this interpreter, as users run it."""
    script = Path(PYTHON).parent / "archgen"
    return [str(script)] if script.exists() else [PYTHON, "-m", "archgen.cli"]


def keras_build_command(application: str) -> list[str]:
    code = (
        "import keras\n"
        f"model = keras.applications.{application}(weights=None)\n"
        "print(model.count_params())\n"
    )
    return [PYTHON, "-c", code]


# --- formatting ----------------------------------------------------------------------------


def seconds(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def verdict(met: bool) -> str:
    return "yes" if met else "**no**"


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


@dataclass
class Section:
    title: str
    lines: list[str]
    missed: list[str] = field(default_factory=list)  # the goals this section missed


# --- 1. check and summary against building the Keras model ---------------------------


def bench_cli(models: list[Model], runs: int, warmup: int, quick: bool) -> Section:
    archgen = archgen_command()
    rows, missed = [], []
    for model in models:
        spec = str(model.spec_path.relative_to(ROOT))
        cases = {
            f"archgen check {spec}": [*archgen, "check", spec],
            f"archgen summary {spec}": [*archgen, "summary", spec],
            "keras": keras_build_command(model.application),
        }
        results = process_turns(cases, runs, warmup)
        keras = results.pop("keras")
        for name, result in results.items():
            speedup = keras.median / result.median
            memory = result.peak_mib / keras.peak_mib
            rows.append(
                [
                    model.application,
                    f"`{name}`",
                    seconds(result.median),
                    result.spread(),
                    seconds(result.median_cpu),
                    f"{result.peak_mib:.0f} MiB",
                    f"{speedup:.1f}x ({verdict(speedup >= SPEEDUP_GOAL)})",
                    f"{memory:.3f} ({verdict(memory <= MEMORY_GOAL)})",
                ]
            )
            if speedup < SPEEDUP_GOAL:
                missed.append(f"{model.application}: `{name}` is {speedup:.1f}x faster, not 30x")
            if memory > MEMORY_GOAL:
                missed.append(f"{model.application}: `{name}` uses {memory:.2f} of Keras's memory")
        rows.append(
            [
                model.application,
                f"Keras: `keras.applications.{model.application}(weights=None).count_params()`",
                seconds(keras.median),
                keras.spread(),
                seconds(keras.median_cpu),
                f"{keras.peak_mib:.0f} MiB",
                "1x",
                "1",
            ]
        )

    floors = {
        "`python -c pass` (the interpreter alone)": [PYTHON, "-c", "pass"],
        "`python -c 'import archgen.cli'`": [PYTHON, "-c", "import archgen.cli"],
    }
    if not quick:
        floors["`python -c 'import keras'`"] = [PYTHON, "-c", "import keras"]
    floor_rows = [
        [name, seconds(r.median), r.spread(), seconds(r.median_cpu), f"{r.peak_mib:.0f} MiB"]
        for name, r in process_turns(floors, runs, warmup).items()
    ]
    lines = [
        "Whole processes, from spawn to exit: the installed `archgen` command against a "
        "`python -c` that imports Keras, builds the keras.applications model (weights=None, "
        "nothing downloaded) and counts its parameters. The three processes of a model take "
        "turns. *CPU* is the child's user and system time, every thread (TensorFlow starts "
        "several); *peak memory* its maximum resident set size (both from os.wait4). "
        f"Goals, on the medians: at least {SPEEDUP_GOAL:.0f}x faster (wall time), at most "
        f"{MEMORY_GOAL:.2f} of the memory.",
        "",
        *table(
            [
                "model",
                "process",
                "median",
                "range",
                "CPU",
                "peak memory",
                f"speed-up vs Keras (goal >= {SPEEDUP_GOAL:.0f}x)",
                f"memory vs Keras (goal <= {MEMORY_GOAL:.2f})",
            ],
            rows,
            right={2, 4, 5, 6, 7},
        ),
        "",
        "Where a process's time starts from (the same interpreter, the same way):",
        "",
        *table(["process", "median", "range", "CPU", "peak memory"], floor_rows, right={1, 3, 4}),
    ]
    return Section("1. Checking a spec against building it in Keras", lines, missed)


# --- 2. scaling: generated specs of growing size -----------------------------------------

UNIT_LAYERS = 8  # layers per `unit` below
FIXED_LAYERS = 3  # input, global_avg_pool, predictions

SCALING_SPEC = """\
archgen: 1
name: scaling_{layers}
title: Scaling benchmark, {layers} layers
source: written by benchmarks/run.py
input: [8, 8, 16]
params: {{classes: 10, width: 8}}
blocks:
  unit:
    doc: A residual block whose branch is a concat of two paths.
    args: {{width: required}}
    add:
      shortcut: []
      residual:
        - concat:
            a: [conv2d: {{filters: $width, kernel: 1}}, relu]
            b: [conv2d: {{filters: $width, kernel: 3, padding: same}}, batch_norm]
        - conv2d: {{filters: "${{2 * width}}", kernel: 1}}
    activation: relu
model:
  - repeat: {units}
    seq: [unit: {{width: $width}}]
{filler}  - global_avg_pool
  - dense: {{units: $classes, activation: softmax, name: predictions}}
"""


def scaling_spec(layers: int) -> str:
    """A spec of exactly `layers` layers: repeated residual blocks with concats inside."""
    units, extra = divmod(layers - FIXED_LAYERS, UNIT_LAYERS)
    filler = f"  - repeat: {extra}\n    seq: [relu]\n" if extra else ""
    return SCALING_SPEC.format(layers=layers, units=units, filler=filler)


def doubling_cost(n1: int, t1: float, n2: int, t2: float) -> float:
    """The time factor per doubling of the layers, between two measured sizes."""
    return (t2 / t1) ** (math.log(2) / math.log(n2 / n1))


def bench_scaling(sizes: list[int], runs: int, warmup: int) -> Section:
    archgen = archgen_command()
    with tempfile.TemporaryDirectory(prefix="archgen-scaling-") as folder:
        paths = {}
        for size in sizes:
            paths[size] = Path(folder) / f"scaling_{size}.yaml"
            paths[size].write_text(scaling_spec(size))
        cases = {size: [*archgen, "check", str(path)] for size, path in paths.items()}
        processes = process_turns(cases, runs, warmup)
        inside = {
            size: probe("check", str(paths[size]), runs=runs, warmup=warmup) for size in sizes
        }

    rows, missed = [], []
    previous = None
    for size in sizes:
        result, check = processes[size], inside[size]
        if check["layers"] != size:
            raise RuntimeError(f"the {size}-layer spec expanded to {check['layers']} layers")
        wall, cpu = statistics.median(check["wall"]), statistics.median(check["cpu"])
        in_gc = statistics.median(check["gc_cpu"])
        goal = "–"
        if size == 10_000:
            met = result.median < CHECK_10K_GOAL
            goal = f"< {CHECK_10K_GOAL:.0f} s ({verdict(met)})"
            if not met:
                missed.append(f"10,000 layers: checked in {seconds(result.median)}")
        doubling = "–"
        if previous is not None:
            factor = doubling_cost(previous[0], previous[1], size, cpu)
            doubling = f"{factor:.2f}x ({verdict(factor <= DOUBLING_GOAL)})"
            if factor > DOUBLING_GOAL:
                missed.append(
                    f"{previous[0]:,} -> {size:,} layers: {factor:.2f}x the time per doubling"
                )
        previous = (size, cpu)
        rows.append(
            [
                f"{size:,}",
                seconds(result.median),
                result.spread(),
                goal,
                f"{result.peak_mib:.0f} MiB",
                seconds(wall),
                seconds(cpu),
                f"{in_gc / cpu:.0%}",
                f"{cpu / size * 1e6:.1f} µs",
                doubling,
            ]
        )
    lines = [
        "Specs written by the benchmark: `repeat` of a residual block (`add` of the identity "
        "and a `concat` of two convolution paths, then a 1x1 convolution; 8 layers), a few "
        "`relu`s to make the count exact, a pooling and a dense layer. *Process* is "
        "`archgen check SPEC`, whole, the sizes taking turns. *In process* is what "
        "`archgen check` does once Python and archgen are loaded (`archgen.load(spec)` and "
        "the totals), in one process per size after a warm-up: wall and CPU seconds, and the "
        "share of that CPU time spent in Python's cyclic garbage collector. *Per doubling* is "
        "the time factor for twice the layers, from this size and the one above: "
        "(t2/t1)^(log 2 / log(n2/n1)) on the in-process CPU time (the algorithm's cost, "
        "which other processes' load does not inflate as it does wall time). "
        f"Goals: 10,000 layers under {CHECK_10K_GOAL:.0f} s (whole process), "
        f"at most {DOUBLING_GOAL}x per doubling.",
        "",
        *table(
            [
                "layers",
                "process",
                "range",
                "goal",
                "peak memory",
                "in process",
                "CPU",
                "in GC",
                "CPU per layer",
                f"per doubling (goal <= {DOUBLING_GOAL}x)",
            ],
            rows,
            right={0, 1, 4, 5, 6, 7, 8, 9},
        ),
    ]
    return Section("2. Scaling: checking specs of 100 to 50,000 layers", lines, missed)


# --- 3. building the Keras model -------------------------------------------------------


def generated_source(model: Model, folder: Path) -> tuple[Path, str]:
    """The committed generated/<name>.py, or one generated now (as `archgen build` would)."""
    committed = ROOT / "generated" / f"{model.spec}.py"
    if committed.exists():
        return committed, f"`generated/{model.spec}.py`"
    import archgen

    path = folder / f"{model.spec}.py"
    path.write_text(archgen.load(model.spec_path).python_source())
    return path, "generated into a temporary folder"


def bench_build(models: list[Model], runs: int, warmup: int) -> Section:
    rows, missed, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix="archgen-source-") as folder:
        for model in models:
            source, where = generated_source(model, Path(folder))
            result = probe(
                "build",
                str(model.spec_path),
                model.application,
                str(source),
                runs=runs,
                warmup=warmup,
            )
            times = {name: Runs.of(runs_) for name, runs_ in result["times"].items()}
            counts = result["params"]
            if len(set(counts.values())) != 1:
                notes.append(f"{model.application}: the parameter counts differ: {counts}")
            keras = times["keras"]
            for name, label, goal in (
                ("runtime", "`archgen.load(spec).keras_model()`", RUNTIME_BUILD_GOAL),
                ("source", f"{where}: `build_model()`", SOURCE_BUILD_GOAL),
            ):
                ours = times[name]
                ratio = ours.median_cpu / keras.median_cpu
                rows.append(
                    [
                        model.application,
                        label,
                        seconds(ours.median),
                        ours.spread(),
                        seconds(keras.median),
                        f"{ours.median / keras.median:.3f}",
                        seconds(ours.median_cpu),
                        seconds(keras.median_cpu),
                        f"{ratio:.3f} ({verdict(ratio <= goal)})",
                    ]
                )
                if ratio > goal:
                    missed.append(
                        f"{model.application}: {label} takes {ratio:.3f}x Keras's CPU time "
                        f"(goal {goal:.2f})"
                    )
    lines = [
        f"One process per model; {runs} timed runs per builder after {warmup} warm-up "
        "run(s): Keras imported once, then the three builders take turns, each call after "
        "`keras.backend.clear_session()` and a garbage collection (untimed). "
        "keras.applications builds with `weights=None`; the generated module is imported "
        "once, as keras.applications is, and `build_model()` is timed. The runtime builder's "
        "time includes reading and checking the spec, its source. The three models have the "
        "same parameter count (checked after the last run, untimed). Building is "
        "single-threaded Python, so CPU time is wall time without the waits that other "
        "processes cause: the goals (runtime builder <= "
        f"{RUNTIME_BUILD_GOAL:.2f}, generated source <= {SOURCE_BUILD_GOAL:.2f} of Keras) are "
        "judged on the median CPU times; the wall-time ratio is beside them.",
        "",
        *table(
            [
                "model",
                "archgen",
                "median",
                "range",
                "Keras",
                "wall ratio",
                "CPU",
                "Keras CPU",
                "CPU ratio (goal)",
            ],
            rows,
            right={2, 4, 5, 6, 7, 8},
        ),
        *(["", *notes] if notes else []),
    ]
    return Section("3. Building the Keras model", lines, missed)


# --- 4. inference ------------------------------------------------------------------------


def bench_inference(runs: int, warmup: int, batch: int = 8) -> Section:
    model = MODELS[0]
    result = probe(
        "inference",
        str(model.spec_path),
        model.application,
        "--batch",
        str(batch),
        runs=runs,
        warmup=warmup,
    )
    times = {name: Runs.of(runs_) for name, runs_ in result["times"].items()}
    ours, keras, control = times["archgen"], times["keras"], times["control"]
    ratio = ours.median / keras.median
    low, high = INFERENCE_GOAL
    met = low <= ratio <= high
    difference = result["max_abs_difference"]

    def row(name: str, runs_: Runs, verdict_: str) -> list[str]:
        return [
            name,
            seconds(runs_.median),
            runs_.spread(),
            seconds(runs_.median_cpu),
            verdict_,
            f"{runs_.median / control.median:.3f}",
        ]

    lines = [
        f"InceptionV3 on the CPU, a batch of {batch} random 299x299x3 images, "
        "`model.predict_on_batch` (a compiled tf.function), in one process: archgen's model "
        "(`archgen.load(spec).keras_model()`) holds keras.applications' weights "
        "(`set_weights(reference.get_weights())`, weights=None initialisation). The control "
        "is keras.applications' model again, its batch normalizations set to axis=-1, as "
        "archgen writes them (keras.applications says axis=3, the same axis, but Keras's "
        "TensorFlow backend then reshapes each batch normalization's statistics at every call). "
        f"Outputs differ from keras.applications' by at most {difference['archgen']:.1e} "
        f"(archgen) and {difference['control']:.1e} (control); those first calls trace the "
        f"tf.functions, untimed. Then {warmup} warm-up round(s) and {runs} timed batches "
        "each, taking turns. The goal is on the wall time (TensorFlow runs a batch on "
        "every core).",
        "",
        *table(
            [
                "model",
                "median",
                "range",
                "CPU",
                f"ratio to Keras (goal {low}–{high})",
                "ratio to the control",
            ],
            [
                row("archgen", ours, f"{ratio:.3f} ({verdict(met)})"),
                row("keras.applications", keras, "1"),
                row(
                    "control: keras.applications, batch norm axis=-1",
                    control,
                    f"{control.median / keras.median:.3f}",
                ),
            ],
            right={1, 3, 4, 5},
        ),
    ]
    missed = [] if met else [f"InceptionV3 inference: ratio {ratio:.3f}"]
    return Section(f"4. Inference: InceptionV3, batch {batch}", lines, missed)


# --- 5. diagrams -----------------------------------------------------------------------


def bench_diagrams(runs: int, warmup: int, keras: bool) -> Section:
    title = "5. Diagrams: InceptionV3, every layer"
    if not (BENCHMARKS / "bench_diagrams.py").exists():
        return Section(title, ["Not run: benchmarks/bench_diagrams.py does not exist yet."])
    flags = [] if keras else ["--no-keras"]
    cases = probe("diagrams", *flags, runs=runs, warmup=warmup)["cases"]
    baseline = next((c for c in cases if c["name"].startswith("keras")), None)
    rows = []
    for case in cases:
        result = Runs(seconds=case["times"])
        keras = statistics.median(baseline["times"]) if baseline else None
        speedup = f"{keras / result.median:.1f}x" if keras else "–"
        rows.append([case["name"], seconds(result.median), result.spread(), case["image"], speedup])
    lines = [
        "Measured by benchmarks/bench_diagrams.py's own cases and `measure()`, in a child "
        "process: archgen's cases start from a loaded Architecture, as Keras's starts from a "
        "built model (one case also loads the YAML). keras.utils.plot_model runs with its "
        "defaults (PNG, dpi 200) and show_shapes=True. The issue sets no goal here.",
        "",
        *table(["case", "median", "range", "image", "speed-up vs Keras"], rows, right={1, 4}),
    ]
    if baseline is None:
        lines += ["", "keras.utils.plot_model was not run (--quick)."]
    return Section(title, lines)


# --- the report ----------------------------------------------------------------------------


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def graphviz_version() -> str:
    try:
        done = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    except OSError:
        return "Graphviz not installed"
    return (done.stderr or done.stdout).strip()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def report(
    sections: list[Section],
    args,
    command: str,
    started: str,
    elapsed: float,
    loads: list[str],
    compiled: str,
) -> str:
    missed = [goal for section in sections for goal in section.missed]
    lines = [
        "# Benchmarks: archgen against Keras",
        "",
        f"Written by `{command}` on {started} (UTC), in {elapsed / 60:.0f} min. Medians of "
        f"{args.runs} timed run(s) after {args.warmup} warm-up run(s) per case (building: "
        "twice the runs, inference: four times); the compared cases take turns. Ranges are "
        "min – max.",
        "",
    ]
    if args.quick:
        lines += [
            "**A quick run (`--quick`): 1 run, small sizes, one model: not a measurement.**",
            "",
        ]
    lines += [
        "## Machine",
        "",
        f"- {cpu_model()}, {os.cpu_count()} cores, {memory_total()}; {platform.platform()}",
        f"- Python {platform.python_version()}; archgen {package_version('archgen')}, "
        f"keras {package_version('keras')}, tensorflow-cpu {package_version('tensorflow-cpu')}, "
        f"numpy {package_version('numpy')}; {graphviz_version()}",
        "- load average (1 / 5 / 15 min) before and after each section: " + "; ".join(loads),
        f"- archgen byte-compiled first ({os.path.relpath(compiled, ROOT)}/), as an installed "
        "package is; Keras and TensorFlow start from their installed bytecode",
        "",
        "## Goals",
        "",
    ]
    lines += (
        ["Every goal measured here is met."]
        if not missed
        else ["Missed:", "", *(f"- {goal}" for goal in missed)]
    )
    for section in sections:
        lines += ["", f"## {section.title}", "", *section.lines]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="timed runs per case (default 5; building takes twice, inference 4 times as many)",
    )
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 1 run, no warm-up, InceptionV3 only, 100 and 1,000 layers",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.quick:
        args.runs, args.warmup = 1, 0
    models = MODELS[:1] if args.quick else MODELS
    sizes = QUICK_SIZES if args.quick else SCALING_SIZES
    runs, warmup = args.runs, args.warmup
    # building and inference are compared to a few percent: more runs (cheap ones)
    build_runs, inference_runs = (runs, runs) if args.quick else (2 * runs, 4 * runs)

    benches: dict[str, Callable[[], Section]] = {
        "cli": lambda: bench_cli(models, runs, warmup, args.quick),
        "scaling": lambda: bench_scaling(sizes, runs, warmup),
        "build": lambda: bench_build(models, build_runs, warmup),
        "inference": lambda: bench_inference(inference_runs, warmup, batch=1 if args.quick else 8),
        "diagrams": lambda: bench_diagrams(runs, warmup, keras=not args.quick),
    }
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    command = shlex.join(
        [os.path.relpath(PYTHON, ROOT) if PYTHON.startswith(str(ROOT)) else "python"]
        + [os.path.relpath(Path(__file__).resolve(), ROOT)]
        + (argv if argv is not None else sys.argv[1:])
    )
    begun = time.perf_counter()
    compiled = compile_archgen()
    loads, sections = [load_average()], []
    for name in SECTIONS:
        if name not in chosen:
            continue
        start = time.perf_counter()
        print(f"{name} ...", flush=True)
        sections.append(benches[name]())
        loads.append(load_average())
        print(f"{name}: {time.perf_counter() - start:.0f} s, load {loads[-1]}", flush=True)
    elapsed = time.perf_counter() - begun
    text = report(sections, args, command, started, elapsed, loads, compiled)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
