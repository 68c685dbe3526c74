"""Diagrams: the DOT and SVG that archgen draws, read back and checked against the IR."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

import archgen
from archgen.backends.graphviz import (
    DEFAULT_FAMILY_COLOR,
    LEGEND_ID,
    GraphvizMissing,
    cluster_id,
    dot_source,
    format_dims,
    output_id,
    render,
)
from archgen.cli import main
from archgen.ops import REGISTRY
from archgen.report import groups
from tests.conftest import ROOT, SPECS, write_spec

SVG = "{http://www.w3.org/2000/svg}"

# A residual unit (identity shortcut), a side head, a named concat and two outputs.
SMALL = """\
archgen: 1
name: small_net
title: Small net
input: [16, 16, 3]
blocks:
  unit:
    args: {filters: required}
    add:
      shortcut: []
      residual:
        - conv2d: {filters: $filters, kernel: 3, padding: same}
        - relu
model:
  - conv2d: {filters: 8, kernel: 3, padding: same, name: stem}
  - unit: {filters: 8, name: res1}
  - side: [global_avg_pool: {name: aux_pool}, dense: {units: 2, name: aux}]
  - concat:
      left: [conv2d: {filters: 4, kernel: 1}]
      right: [max_pool: {size: 3, strides: 1, padding: same}]
    name: join
  - global_avg_pool
  - dense: {units: 3, activation: softmax, name: predictions}
outputs: [predictions, aux]
"""


@pytest.fixture(scope="module")
def inception():
    return archgen.load(SPECS / "inception_v3.yaml")


@pytest.fixture
def small(tmp_path):
    return archgen.load(write_spec(tmp_path, SMALL))


# --- reading back what Graphviz drew --------------------------------------------------------


@dataclass
class Drawing:
    nodes: dict = field(default_factory=dict)  # title -> bounding box (x0, y0, x1, y1)
    clusters: dict = field(default_factory=dict)  # title -> bounding box
    edges: list = field(default_factory=list)  # (tail, head, label or None)


def _box(element) -> tuple:
    numbers = []
    for shape in element.iter():
        if shape.tag in (SVG + "polygon", SVG + "path"):
            text = shape.get("points") or shape.get("d") or ""
            numbers += [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
        elif shape.tag == SVG + "ellipse":
            cx, cy = float(shape.get("cx")), float(shape.get("cy"))
            rx, ry = float(shape.get("rx")), float(shape.get("ry"))
            numbers += [cx - rx, cy - ry, cx + rx, cy + ry]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def read_svg(svg: bytes) -> Drawing:
    drawing = Drawing()
    for group in ET.fromstring(svg).iter(SVG + "g"):
        kind = group.get("class")
        if kind not in ("node", "cluster", "edge"):
            continue
        title = group.find(SVG + "title").text
        if kind == "node":
            drawing.nodes[title] = _box(group)
        elif kind == "cluster":
            drawing.clusters[title] = _box(group)
        else:
            tail, head = title.split("->")
            texts = [t.text for t in group.iter(SVG + "text")]
            drawing.edges.append((tail, head, texts[0] if texts else None))
    return drawing


def center_x(box) -> float:
    return (box[0] + box[2]) / 2


def dot_clusters(dot: str) -> dict[str, list[str]]:
    """Node name -> the clusters around its declaration, outermost first (from DOT text)."""
    stack: list[str] = []
    where: dict[str, list[str]] = {}
    for line in dot.splitlines():
        text = line.strip()
        opening = re.match(r'subgraph "?([^"{]+?)"? \{$', text)
        if opening:
            stack.append(opening.group(1))
        elif text == "}":
            if stack:
                stack.pop()
        else:
            node = re.match(r'^("(?:[^"\\]|\\.)*"|[\w.]+) \[', text)
            if node and "->" not in text:
                where[node.group(1).strip('"')] = [s for s in stack if s.startswith("cluster_")]
    return where


def block_scopes(arch) -> set[tuple]:
    """Scopes with layers under them: the blocks, branches and merges drawn as clusters."""
    return {node.scope[:n] for node in arch.layers for n in range(1, len(node.scope))}


def expected_clusters(node, scopes: set, depth=None) -> list[str]:
    """The clusters around a layer: its scope's prefixes that are blocks (a merge layer
    carries its block's own scope, and is drawn inside it)."""
    prefixes = [node.scope[:n] for n in range(1, len(node.scope) + 1)]
    inside = [p for p in prefixes if p in scopes]
    return [cluster_id(p) for p in inside[:depth]]


# --- blocks view -----------------------------------------------------------------------------


def test_blocks_view_has_one_box_per_top_level_block(inception):
    top = groups(inception.layers, inception.graph.regions)
    drawing = read_svg(render(dot_source(inception, "blocks"), "svg"))
    boxes = [name for name in drawing.nodes if name != LEGEND_ID and not name.startswith("output")]
    assert boxes == [group.name for group in top]
    assert len(drawing.nodes) == len(top) + 1 + 1  # the blocks, one output, the legend
    assert len(drawing.nodes) <= 60
    assert drawing.clusters == {}
    # it reads top to bottom, in spec order
    tops = [drawing.nodes[name][1] for name in boxes]
    assert tops == sorted(tops)
    assert len(set(tops)) == len(tops)
    # a chain of blocks: one edge between consecutive blocks, then to the output
    assert [(t, h) for t, h, _ in drawing.edges] == [
        *itertools.pairwise(boxes),
        ("predictions", output_id(1)),
    ]


def test_block_boxes_show_name_kind_shape_and_parameters(inception):
    dot = dot_source(inception, "blocks")
    mixed5 = next(
        g for g in groups(inception.layers, inception.graph.regions) if g.name == "mixed5"
    )
    line = next(line for line in dot.splitlines() if line.strip().startswith("mixed5 ["))
    assert ">mixed5<" in line
    assert "inception_b" in line
    assert f"{format_dims(mixed5.shape)} · 1.69M params" in line
    assert mixed5.params == 1_692_736


def test_blocks_view_depth_2_opens_blocks_into_their_branches(inception):
    drawing = read_svg(render(dot_source(inception, "blocks", depth=2), "svg"))
    branches = ["branch1x1", "branch7x7", "branch7x7dbl", "branch_pool"]
    assert [f"mixed5.{b}" for b in branches] == [
        n for n in drawing.nodes if n.startswith("mixed5.")
    ]
    assert "mixed5" in drawing.nodes  # the concat
    assert cluster_id(("mixed5",)) in drawing.clusters
    xs = [center_x(drawing.nodes[f"mixed5.{b}"]) for b in branches]
    assert xs == sorted(xs)


# --- layers view -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layers_drawing(inception):
    dot = dot_source(inception, "layers")
    return dot, read_svg(render(dot, "svg"))


def test_layers_view_draws_every_layer(inception, layers_drawing):
    _, drawing = layers_drawing
    layers = [node.name for node in inception.layers]
    assert len(layers) == 313
    assert set(drawing.nodes) == {*layers, output_id(1), LEGEND_ID}
    # one cluster per block scope: every scope with layers inside
    assert set(drawing.clusters) == {cluster_id(scope) for scope in block_scopes(inception)}
    # mixed0..10, 94 conv_bn, 50 branches, the 4 inner concats of mixed9 and mixed10
    assert len(drawing.clusters) == 11 + 94 + 50 + 4


def test_every_edge_of_the_ir_is_drawn_once(inception, layers_drawing):
    _, drawing = layers_drawing
    drawn = [(t, h) for t, h, _ in drawing.edges]
    ir_edges = [(source, node.name) for node in inception.layers for source in node.inputs]
    assert sorted(drawn) == sorted([*ir_edges, ("predictions", output_id(1))])


def test_edge_labels_are_the_inferred_shapes(inception, layers_drawing):
    _, drawing = layers_drawing
    graph = inception.graph
    labelled = {}
    for tail, head, label in drawing.edges:
        if label is None:
            continue
        shape = graph[tail].shape
        assert label == format_dims(shape), (tail, head)
        labelled.setdefault(tail, []).append(head)
    # each tensor is labelled once: on its first edge, to its first consumer in spec order
    for node in inception.layers:
        consumers = graph.consumers(node.name)
        if consumers:
            assert labelled[node.name] == [consumers[0]]
    assert labelled["predictions"] == [output_id(1)]
    assert "35×35×256" in [label for _, _, label in drawing.edges]
    assert format_dims(graph["mixed7"].shape) == "17×17×768"


def test_clusters_nest_as_the_scopes_do(inception, layers_drawing):
    dot, drawing = layers_drawing
    where = dot_clusters(dot)
    scopes = block_scopes(inception)
    for node in inception.layers:
        assert where[node.name] == expected_clusters(node, scopes), node.name
    assert where["mixed5"] == ["cluster_mixed5"]  # the concat closes its block
    assert where["mixed5.branch7x7dbl.conv_bn_2.conv2d"] == [
        "cluster_mixed5",
        "cluster_mixed5.branch7x7dbl",
        "cluster_mixed5.branch7x7dbl.conv_bn_2",
    ]
    # and Graphviz drew each layer inside each of its clusters
    for node in inception.layers:
        x0, y0, x1, y1 = drawing.nodes[node.name]
        for cluster in where[node.name]:
            cx0, cy0, cx1, cy1 = drawing.clusters[cluster]
            assert cx0 <= x0 and x1 <= cx1 and cy0 <= y0 and y1 <= cy1, (node.name, cluster)


def branch_starts(arch, merge_name: str) -> list[str]:
    """The first layer of each branch of a merge, in spec order."""
    merge = arch.graph[merge_name]
    regions = arch.graph.regions
    firsts: dict[tuple, str] = {}
    for node in arch.layers:
        branch = node.scope[: len(merge.scope) + 1]
        if branch[:-1] == merge.scope and branch in regions and regions[branch].kind == "branch":
            firsts.setdefault(branch, node.name)
    return list(firsts.values())


def test_branches_run_left_to_right_in_spec_order(inception, layers_drawing):
    _, drawing = layers_drawing
    merges = [n.name for n in inception.layers if n.op == "concat"]
    assert len(merges) == 15  # mixed0..10 and the four inner concats of mixed9, mixed10
    for name in merges:
        starts = branch_starts(inception, name)
        xs = [center_x(drawing.nodes[s]) for s in starts]
        assert xs == sorted(xs) and len(set(xs)) == len(xs), (name, starts)
    starts = branch_starts(inception, "mixed3")
    assert [s.split(".")[1] for s in starts] == ["branch3x3", "branch3x3dbl", "branch_pool"]


@pytest.mark.parametrize(("level", "depth"), [("blocks", 3), ("layers", 1), ("layers", 2)])
def test_branch_order_holds_at_every_depth(inception, level, depth):
    drawing = read_svg(render(dot_source(inception, level, depth), "svg"))
    for block in [f"mixed{i}" for i in range(11)]:
        firsts: dict[str, str] = {}
        for name in drawing.nodes:
            if name.startswith(block + "."):
                firsts.setdefault(name.split(".")[1], name)
        spec_order = [n.scope[1] for n in inception.layers if n.scope[0] == block and n.scope[1:]]
        spec_order = list(dict.fromkeys(spec_order))
        spec_order = [b for b in spec_order if b in firsts]
        xs = [center_x(drawing.nodes[firsts[b]]) for b in spec_order]
        assert xs == sorted(xs), (block, spec_order)


def test_layers_depth_limits_cluster_nesting(inception):
    dot = dot_source(inception, "layers", depth=1)
    where = dot_clusters(dot)
    for node in inception.layers:
        assert where[node.name] == expected_clusters(node, block_scopes(inception), 1)
    assert where["mixed5.branch7x7dbl.conv_bn_2.conv2d"] == ["cluster_mixed5"]


def test_labels_are_short_and_tooltips_carry_full_names(inception):
    dot = dot_source(inception, "layers")
    line = next(
        line
        for line in dot.splitlines()
        if line.strip().startswith('"mixed3.branch3x3.conv_bn.conv2d" [')
    )
    label = re.search(r"label=<(.*)> fillcolor", line).group(1)
    assert label == '<B>conv2d</B> <FONT COLOR="#5f6b7a">3×3/2 · 384 · valid</FONT>'
    assert 'tooltip="mixed3.branch3x3.conv_bn.conv2d' in line
    pool = next(
        line
        for line in dot.splitlines()
        if line.strip().startswith('"mixed3.branch_pool.max_pool" [')
    )
    # the name says what it is: the op is not repeated
    assert '<B>max_pool</B> <FONT COLOR="#5f6b7a">3×3/2</FONT>' in pool


def test_merges_are_drawn_distinctly(small, inception):
    dot = dot_source(inception, "layers")
    concat = next(line for line in dot.splitlines() if line.strip().startswith("mixed0 ["))
    assert "shape=invtrapezium" in concat
    conv = next(line for line in dot.splitlines() if line.strip().startswith('"mixed0.branch1x1'))
    assert "shape=" not in conv  # ordinary layers keep the default box
    small_dot = dot_source(small, "layers")
    add = next(line for line in small_dot.splitlines() if line.strip().startswith("res1 ["))
    assert "shape=circle" in add and 'label="+"' in add


def test_residual_side_head_and_several_outputs(small):
    drawing = read_svg(render(dot_source(small, "layers"), "svg"))
    edges = {(t, h): label for t, h, label in drawing.edges}
    # the identity shortcut goes straight from the stem to the sum
    assert ("stem", "res1") in edges
    assert ("res1.residual.relu", "res1") in edges
    # two outputs, in the order of `outputs:`, each with its shape on the edge
    assert edges[("predictions", output_id(1))] == "3"
    assert edges[("aux", output_id(2))] == "2"
    assert {output_id(1), output_id(2)} <= set(drawing.nodes)
    blocks = read_svg(render(dot_source(small, "blocks"), "svg"))
    assert {n for n in blocks.nodes if n.startswith("output")} == {output_id(1), output_id(2)}
    assert {("predictions", output_id(1)), ("aux", output_id(2))} <= {
        (t, h) for t, h, _ in blocks.edges
    }
    # the concat's branches left to right
    xs = [center_x(drawing.nodes[s]) for s in branch_starts(small, "join")]
    assert xs == sorted(xs)


def test_legend_names_the_families_drawn(small):
    dot = dot_source(small, "layers")
    legend = next(line for line in dot.splitlines() if line.strip().startswith("legend ["))
    for family in ("input", "conv", "activation", "pool", "merge", "dense"):
        assert f" {family} </TD>" in legend
    assert " norm </TD>" not in legend  # no batch norm in this net


NEW_OP_SPEC = """\
archgen: 1
name: new_op_net
input: [8, 8, 3]
model:
  - conv2d: {filters: 4, kernel: 3}
  - gain: {factor: 2.5}
  - gain: {factor: "<b>&\\\\"}
  - global_avg_pool
"""


def test_a_new_op_of_a_new_family_draws_from_its_declaration(tmp_path, monkeypatch):
    """An op declared in the registry and nowhere else: a default colour, a legend cell and a
    label made of its required attribute; spec text in the label stays escaped."""
    from archgen.ops.base import Attr, AttrType, OpDef, no_flops, no_params

    gain = OpDef(
        name="gain",
        family="exotic",
        help="a test op",
        attrs=(Attr("factor", AttrType("anything", lambda value: value), example=2.0),),
        shape=lambda a, inputs: inputs[0],
        params=no_params,
        flops=no_flops,
        keras_class="Identity",
    )
    monkeypatch.setitem(REGISTRY, "gain", gain)
    arch = archgen.load(write_spec(tmp_path, NEW_OP_SPEC))
    for level in ("layers", "blocks"):
        dot = dot_source(arch, level)
        line = next(line for line in dot.splitlines() if line.strip().startswith("gain_1 ["))
        assert f'fillcolor="{DEFAULT_FAMILY_COLOR}"' in line
        legend = next(line for line in dot.splitlines() if line.strip().startswith("legend ["))
        assert f'<TD BGCOLOR="{DEFAULT_FAMILY_COLOR}" BORDER="1"' in legend
        assert legend.index(" conv </TD>") < legend.index(" exotic </TD>")
        assert render(dot, "svg").startswith(b"<?xml")  # dot reads it
    layers = dot_source(arch, "layers")
    assert '<B>gain_1</B> <FONT COLOR="#5f6b7a">gain 2.5</FONT>' in layers
    assert "gain &lt;b&gt;&amp;\\</FONT>" in layers and "<b>&" not in layers


def test_output_is_deterministic(tmp_path):
    first = archgen.load(SPECS / "inception_v3.yaml")
    second = archgen.load(SPECS / "inception_v3.yaml")
    for level in ("blocks", "layers"):
        assert dot_source(first, level) == dot_source(second, level)
        assert render(dot_source(first, level), "svg") == render(dot_source(second, level), "svg")
    png = render(dot_source(first, "blocks"), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == render(dot_source(second, "blocks"), "png")


def test_bad_level_and_depth_are_refused(small):
    with pytest.raises(ValueError, match="level"):
        dot_source(small, "everything")
    with pytest.raises(ValueError, match="depth"):
        dot_source(small, "blocks", 0)
    with pytest.raises(ValueError, match="format"):
        render("digraph {}", "jpg")


# --- the command and the API -------------------------------------------------------------------


def test_cli_takes_the_format_from_the_file_name(tmp_path, capsys):
    spec = str(SPECS / "inception_v3.yaml")
    assert main(["diagram", spec, "-o", str(tmp_path / "b.svg")]) == 0
    assert (tmp_path / "b.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert main(["diagram", spec, "--level", "layers", "-o", str(tmp_path / "l.png")]) == 0
    assert (tmp_path / "l.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["diagram", spec, "-o", str(tmp_path / "b.pdf")]) == 0
    assert (tmp_path / "b.pdf").read_bytes()[:5] == b"%PDF-"
    assert main(["diagram", spec, "-o", str(tmp_path / "b.jpg")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["diagram", spec, "--depth", "0"]) == 2
    assert "--depth must be 1 or more" in capsys.readouterr().err


def test_cli_writes_dot_to_stdout_with_overrides(capfdbinary):
    spec = str(SPECS / "inception_v3.yaml")
    assert main(["diagram", spec, "--format", "dot", "--set", "classes=10"]) == 0
    out = capfdbinary.readouterr().out.decode()
    assert out.startswith("digraph inception_v3 {")
    assert "10 · 20.5K params" in out  # predictions: 2048 * 10 + 10 parameters


def test_missing_dot_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    spec = str(SPECS / "inception_v3.yaml")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    with pytest.raises(GraphvizMissing):
        render("digraph {}", "svg")
    assert main(["diagram", spec, "-o", str(tmp_path / "b.svg")]) == 4  # the environment
    err = capsys.readouterr().err
    assert "`dot` program was not found" in err
    assert "apt-get install graphviz" in err
    assert "<unknown>" not in err
    assert main(["diagram", spec, "-o", str(tmp_path / "b.dot")]) == 0
    assert (tmp_path / "b.dot").read_text().startswith("digraph inception_v3 {")
    assert archgen.load(spec)._repr_svg_() is None


def test_architecture_diagram_and_notebook_svg(small):
    svg = small.diagram()
    assert isinstance(svg, str) and "<svg" in svg
    assert small._repr_svg_() == svg
    assert small.diagram("layers", "dot") == dot_source(small, "layers")
    assert small.diagram("blocks", "png")[:4] == b"\x89PNG"


PROBE = """
import sys
from archgen.cli import main
from archgen.ops import REGISTRY
code = main(["diagram", "specs/inception_v3.yaml", "--level", "layers", "-o", sys.argv[1] + "/l.svg"])
code |= main(["docs", "specs/inception_v3.yaml", "-o", sys.argv[1] + "/docs"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "jax", "torch"))
print("HEAVY:", heavy)
sys.exit(code)
"""


def test_diagrams_and_docs_never_import_tensorflow(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY: []" in result.stdout


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_spec_draws_its_branches_in_spec_order(path):
    arch = archgen.load(path)
    drawing = read_svg(render(dot_source(arch, "layers"), "svg"))
    assert set(drawing.nodes) >= {node.name for node in arch.layers}
    for node in arch.layers:
        if REGISTRY[node.op].merge:
            xs = [center_x(drawing.nodes[start]) for start in branch_starts(arch, node.name)]
            assert xs == sorted(xs), (node.name, branch_starts(arch, node.name))
