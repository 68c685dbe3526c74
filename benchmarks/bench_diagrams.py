"""Benchmark: InceptionV3's layer diagram, archgen against keras.utils.plot_model.

    .venv/bin/python benchmarks/bench_diagrams.py            # writes benchmarks/results/diagrams.md
    .venv/bin/python benchmarks/bench_diagrams.py --runs 1 --warmup 0 --no-keras -o /tmp/x.md

Each case runs `--warmup` times untimed, then `--runs` times; the median is
reported. archgen's cases start from a loaded Architecture (the spec is parsed
and checked once, as the Keras model is built once): what is timed is drawing,
layout included. One extra case times the whole path from the YAML file.
keras.utils.plot_model needs pydot (a test extra); it runs with its defaults
(PNG, dpi 200, orthogonal edges) and show_shapes=True.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "inception_v3.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "diagrams.md"


@dataclass
class Case:
    name: str
    run: Callable[[], bytes]  # returns the image it drew
    times: list[float] | None = None
    image: bytes = b""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure(case: Case, runs: int, warmup: int) -> Case:
    for _ in range(warmup):
        case.run()
    case.times = []
    for _ in range(runs):
        start = time.perf_counter()
        case.image = case.run()
        case.times.append(time.perf_counter() - start)
    return case


def png_size(data: bytes) -> str:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "vector (SVG)" if b"<svg" in data[:2000] else "-"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return f"{width:,} x {height:,} px"


def archgen_cases() -> list[Case]:
    import archgen
    from archgen.backends.graphviz import dot_source, render

    arch = archgen.load(SPEC)

    def from_yaml() -> bytes:
        return render(dot_source(archgen.load(SPEC), "layers"), "svg")

    return [
        Case("archgen layers, SVG", lambda: render(dot_source(arch, "layers"), "svg")),
        Case("archgen layers, PNG", lambda: render(dot_source(arch, "layers"), "png")),
        Case("archgen layers, SVG, from the YAML file", from_yaml),
        Case("archgen blocks, SVG", lambda: render(dot_source(arch, "blocks"), "svg")),
    ]


def keras_case(folder: Path) -> Case:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model = keras.applications.InceptionV3(weights=None)
    target = folder / "keras_inception_v3.png"

    def plot() -> bytes:
        keras.utils.plot_model(model, to_file=str(target), show_shapes=True)
        return target.read_bytes()

    return Case("keras.utils.plot_model(show_shapes=True), PNG", plot)


def graphviz_version() -> str:
    result = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    return (result.stderr or result.stdout).strip()


def report(cases: list[Case], runs: int, warmup: int) -> str:
    baseline = next((c for c in cases if c.name.startswith("keras")), None)
    lines = [
        "# Diagram benchmark: InceptionV3, every layer",
        "",
        "Written by `.venv/bin/python benchmarks/bench_diagrams.py`; medians of "
        f"{runs} runs after {warmup} warm-up run(s), in one process.",
        "",
        f"- Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores; {graphviz_version()}",
        "",
        "| case | median | min | max | image | speed-up vs Keras |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for case in cases:
        speedup = f"{baseline.median / case.median:.1f}x" if baseline else "-"
        lines.append(
            f"| {case.name} | {case.median:.3f} s | {min(case.times):.3f} s "
            f"| {max(case.times):.3f} s | {png_size(case.image)} | {speedup} |"
        )
    lines += [
        "",
        "Layout is the SVG time; a PNG adds rasterizing and compressing a picture of",
        "some 21 megapixels (Keras' is clipped at Graphviz's 32,767 px limit). The",
        "machine is shared: compare the ratios within one run, not across runs.",
    ]
    if baseline is None:
        lines += ["", "keras.utils.plot_model was not run (--no-keras)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("--no-keras", action="store_true", help="skip keras.utils.plot_model")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        cases = archgen_cases()
        if not args.no_keras:
            cases.append(keras_case(Path(folder)))
        for case in cases:
            measure(case, args.runs, args.warmup)
            print(f"{case.name}: median {case.median:.3f} s", flush=True)
    text = report(cases, args.runs, args.warmup)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
