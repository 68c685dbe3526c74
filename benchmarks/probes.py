"""The measurements that run inside a child process of benchmarks/run.py.

    .venv/bin/python benchmarks/probes.py check SPEC --runs 5 --warmup 1
    .venv/bin/python benchmarks/probes.py build SPEC APPLICATION SOURCE.py --runs 5 --warmup 1
    .venv/bin/python benchmarks/probes.py inference SPEC APPLICATION --batch 8 --runs 5
    .venv/bin/python benchmarks/probes.py diagrams --runs 5 --warmup 1 [--no-keras]

Each prints one JSON object on its last line of stdout: the timings (seconds) of
every case, run by run. One child per measurement keeps each measurement's
imports, caches and memory its own. Within a child, every case runs `warmup`
times untimed, then the cases take turns, one run each per round (the order
rotating), so that a change of machine load hits every case alike.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def take_turns(
    cases: dict[str, Callable[[], object]],
    runs: int,
    warmup: int,
    before: Callable[[], None] = lambda: None,
    results: dict[str, object] | None = None,
) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds per run of every case: {case: {"wall": [...], "cpu": [...]}}.

    `before` runs (untimed) ahead of each call; `results`, if given, receives each
    case's last return value. CPU time is the whole process's (every thread).
    """
    for _ in range(warmup):
        for run in cases.values():
            before()
            run()
    times = {name: {"wall": [], "cpu": []} for name in cases}
    names = list(cases)
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            before()
            start, start_cpu = time.perf_counter(), time.process_time()
            value = cases[name]()
            times[name]["wall"].append(time.perf_counter() - start)
            times[name]["cpu"].append(time.process_time() - start_cpu)
            if results is not None:
                results[name] = value
    return times


# --- static check, in one warm process (scaling) ---------------------------------------


def probe_check(args) -> dict:
    """What `archgen check` does once the interpreter and archgen are loaded: wall and
    CPU seconds per run, and the CPU seconds of those spent in Python's cyclic GC."""
    import archgen

    def check() -> int:
        arch = archgen.load(args.spec, max_layers=1_000_000)
        _ = arch.totals  # what `archgen check` prints
        return len(arch.graph)

    in_gc = [0.0, 0.0]  # seconds so far, start of the current collection

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            in_gc[1] = time.process_time()
        else:
            in_gc[0] += time.process_time() - in_gc[1]

    for _ in range(args.warmup):
        check()
    wall, cpu, gc_cpu = [], [], []
    gc.callbacks.append(on_gc)
    for _ in range(args.runs):
        gc.collect()  # garbage of the run before is not this run's cost
        in_gc[0] = 0.0
        start, start_cpu = time.perf_counter(), time.process_time()
        layers = check()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        gc_cpu.append(in_gc[0])
    gc.callbacks.remove(on_gc)
    return {"wall": wall, "cpu": cpu, "gc_cpu": gc_cpu, "layers": layers}


# --- building the Keras model ----------------------------------------------------------


def load_module(path: Path, name: str):
    """Import a Python file by its path."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def probe_build(args) -> dict:
    import keras

    import archgen

    source = Path(args.source)

    def application():
        return getattr(keras.applications, args.application)(weights=None)

    def runtime():
        return archgen.load(args.spec).keras_model()

    # imported once, untimed, as keras.applications is: what is timed is the call
    generated = load_module(source, f"generated_{source.stem}").build_model

    def fresh_session() -> None:
        keras.backend.clear_session(free_memory=True)
        gc.collect()

    cases = {"keras": application, "runtime": runtime, "source": generated}
    models: dict[str, object] = {}
    times = take_turns(cases, args.runs, args.warmup, before=fresh_session, results=models)
    # the three builders made the same network: at least, the same number of parameters
    counts = {name: model.count_params() for name, model in models.items()}
    return {"times": times, "params": counts}


# --- inference ---------------------------------------------------------------------------


def probe_inference(args) -> dict:
    """Batches through keras.applications' model, archgen's, and a control: another
    keras.applications model whose batch normalizations say axis=-1 instead of 3.

    archgen writes axis=-1 (the last axis), keras.applications axis=3: the same
    axis, but Keras's TensorFlow backend reshapes the mean, variance, offset and
    scale at every call when axis != -1 (keras/src/backend/tensorflow/nn.py,
    batch_normalization), ops archgen's graph does not have. The control
    separates that from any other difference.
    """
    import keras
    import numpy as np

    import archgen

    reference = getattr(keras.applications, args.application)(weights=None)
    control = getattr(keras.applications, args.application)(weights=None)
    for layer in control.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.axis = -1  # the same axis of a 4-D tensor, read at every call
    ours = archgen.load(args.spec).keras_model()
    weights = reference.get_weights()
    control.set_weights(weights)
    ours.set_weights(weights)  # the same weights, in the same order
    size = reference.input_shape[1]
    images = np.random.default_rng(0).random((args.batch, size, size, 3), dtype=np.float32)
    expected = reference.predict_on_batch(images)
    difference = {
        name: float(np.abs(model.predict_on_batch(images) - expected).max())
        for name, model in (("archgen", ours), ("control", control))
    }
    cases = {
        "keras": lambda: reference.predict_on_batch(images),
        "archgen": lambda: ours.predict_on_batch(images),
        "control": lambda: control.predict_on_batch(images),
    }
    # predict_on_batch traces a tf.function on its first call: the comparison above
    # made it, so no timed run pays for tracing, even with no further warm-up.
    times = take_turns(cases, args.runs, args.warmup)
    return {"times": times, "max_abs_difference": difference, "batch": args.batch}


# --- diagrams: benchmarks/bench_diagrams.py's own cases and measure() ------------------


def probe_diagrams(args) -> dict:
    import bench_diagrams  # benchmarks/ is this script's folder, so on sys.path

    with tempfile.TemporaryDirectory() as folder:
        cases = bench_diagrams.archgen_cases()
        if not args.no_keras:
            cases.append(bench_diagrams.keras_case(Path(folder)))
        for case in cases:
            bench_diagrams.measure(case, args.runs, args.warmup)
    return {
        "cases": [
            {"name": c.name, "times": c.times, "image": bench_diagrams.png_size(c.image)}
            for c in cases
        ]
    }


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--runs", type=int, default=5, help="timed runs per case")
    common.add_argument("--warmup", type=int, default=1, help="untimed runs per case first")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    probes = parser.add_subparsers(dest="probe", required=True)

    check = probes.add_parser("check", parents=[common])
    check.add_argument("spec")
    check.set_defaults(func=probe_check)

    build = probes.add_parser("build", parents=[common])
    build.add_argument("spec")
    build.add_argument("application", help="keras.applications constructor, e.g. InceptionV3")
    build.add_argument("source", help="the generated Python source of the spec")
    build.set_defaults(func=probe_build)

    inference = probes.add_parser("inference", parents=[common])
    inference.add_argument("spec")
    inference.add_argument("application")
    inference.add_argument("--batch", type=int, default=8)
    inference.set_defaults(func=probe_inference)

    diagrams = probes.add_parser("diagrams", parents=[common])
    diagrams.add_argument("--no-keras", action="store_true")
    diagrams.set_defaults(func=probe_diagrams)

    args = parser.parse_args(argv)
    result = args.func(args)
    sys.stdout.flush()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
