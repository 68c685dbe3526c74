"""The Graphviz back end: an Architecture -> DOT text -> SVG, PNG or PDF.

Two views of the same Graph IR:

- blocks: one box per model item (a block instance such as `mixed0`, or a single
  layer), with its output shape and parameters; `depth` opens blocks one level
  further each (their branches become boxes inside a cluster).
- layers: every layer, each block a cluster (nested blocks nested clusters),
  branches left to right in spec order, every edge labelled with the shape of
  the tensor it carries; `depth` limits how deep clusters nest.

Building the graph (`dot_source`) is kept apart from rendering it (`render`),
as in Caffe's draw.py. The style tables come first: change the look here.
Nothing in this module imports TensorFlow or Keras.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterable
from pathlib import Path

import graphviz

from archgen.errors import EnvError, Loc, SpecError
from archgen.escape import dot_string, html_text
from archgen.ir import Node
from archgen.limits import DOT_TIMEOUT_SECONDS, MAX_DIAGRAM_BOXES, MAX_DIAGRAM_ROW
from archgen.ops import REGISTRY
from archgen.report import Group, groups

# --- style tables ----------------------------------------------------------------------------

# One fill colour per op family (calm, light tones that keep black text readable). A
# family without one (a new op's) gets DEFAULT_FAMILY_COLOR: a diagram never breaks on it.
FAMILY_COLORS = {
    "input": "#e6e6e6",
    "conv": "#cfe2f3",
    "norm": "#d9ead3",
    "activation": "#fff2cc",
    "pool": "#fce5cd",
    "merge": "#ead1dc",
    "reshape": "#d0e0e3",
    "dense": "#d9d2e9",
    "regularization": "#f4cccc",
}
DEFAULT_FAMILY_COLOR = "#eeeeee"
BLOCK_COLOR = "#f3f6fa"  # a collapsed block (blocks view)

FONT = "Helvetica,Arial,sans-serif"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#5f6b7a"  # secondary text: kinds, shapes, parameters
LINE_COLOR = "#6b7785"

GRAPH_STYLE = {
    "rankdir": "TB",
    "newrank": "true",
    "fontname": FONT,
    "fontsize": "11",
    "fontcolor": TEXT_COLOR,
    "nodesep": "0.22",
    "ranksep": "0.28",
    "pad": "0.3",
    "bgcolor": "white",
    "ordering": "out",  # branches left to right in spec order
}
NODE_STYLE = {
    "shape": "box",
    "style": "rounded,filled",
    "fontname": FONT,
    "fontsize": "11",
    "fontcolor": TEXT_COLOR,
    "color": LINE_COLOR,
    "penwidth": "0.8",
    "margin": "0.10,0.04",
    "height": "0.3",
}
EDGE_STYLE = {
    "fontname": FONT,
    "fontsize": "9",
    "fontcolor": MUTED_COLOR,
    "color": LINE_COLOR,
    "arrowsize": "0.6",
    "penwidth": "0.8",
}
# Merges are drawn as shapes of their own, so a join reads as a join.
MERGE_SHAPES = {
    "concat": {"shape": "invtrapezium", "style": "filled", "margin": "0.18,0.02"},
    "add": {"shape": "circle", "style": "filled", "width": "0.36", "margin": "0"},
    "scaled_add": {"shape": "circle", "style": "filled", "width": "0.36", "margin": "0"},
}
INPUT_SHAPE = {"shape": "box", "style": "rounded,filled,bold"}
OUTPUT_SHAPE = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": FAMILY_COLORS["input"]}
# Clusters by what their scope is: a top-level block, a branch, a nested block.
CLUSTER_STYLES = {
    "block": {"style": "rounded,filled", "fillcolor": "#f7f9fc", "color": "#9fb3c8"},
    "branch": {"style": "rounded,dashed", "fillcolor": "white", "color": "#b7c4d1"},
    "nested": {"style": "rounded,filled", "fillcolor": "#fbfbfb", "color": "#d5dbe1"},
}
CLUSTER_FONT = {"fontname": FONT, "fontsize": "10", "fontcolor": MUTED_COLOR, "labeljust": "l"}

LEVELS = ("blocks", "layers")
FORMATS = ("svg", "png", "pdf", "dot")


class DiagramTooLarge(SpecError):
    """A diagram past the limits within which `dot` lays it out in seconds (limits.py)."""


class GraphvizFailed(EnvError):
    """`dot` ran but gave no diagram: it crashed, or took longer than its timeout."""


class GraphvizMissing(EnvError):
    """Graphviz's `dot` program is not installed (DOT text can still be written)."""

    def __init__(self) -> None:
        super().__init__(
            "Graphviz's `dot` program was not found on PATH",
            hint="install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS); or write DOT text with --format dot",
        )


# --- labels ----------------------------------------------------------------------------------


def format_dims(shape: Iterable[int]) -> str:
    """A tensor shape as drawn: 35×35×256."""
    return "×".join(str(n) for n in shape)


def family_color(family: str) -> str:
    return FAMILY_COLORS.get(family, DEFAULT_FAMILY_COLOR)


def legend_order(families: Iterable[str]) -> list[str]:
    """The families of the table first, in its order; new ones after them, sorted."""
    known = [f for f in FAMILY_COLORS if f in families]
    return known + sorted(set(families) - set(FAMILY_COLORS))


def op_details(node: Node) -> str:
    """The key attributes of a layer, as its op's declaration writes them (3×3/2 · 32)."""
    return REGISTRY[node.op].key_attributes(node.attrs)


def layer_label(node: Node) -> str:
    """One line: the last scope component in bold, then the op and its key attributes."""
    short = node.scope[-1]
    details = op_details(node)
    if node.op not in (short, "activation") and not (node.op == "input" and short == "input"):
        details = f"{node.op} {details}".strip()
    if node.op == "activation" and details == short:
        details = ""
    if node.op in ("add", "scaled_add"):
        return _text("+" if node.op == "add" else f"+ ×{node.attrs['scale']}")
    text = f"<B>{html_text(short)}</B>"
    if details:
        text += f' <FONT COLOR="{MUTED_COLOR}">{html_text(details)}</FONT>'
    return f"<{text}>"


def block_label(group: Group, depth: int) -> str:
    """A collapsed block: its name, what it is, its output shape and parameters."""
    name = group.key[-1]
    kind = group.kind
    rows = [f'<TR><TD><B><FONT POINT-SIZE="12">{html_text(name)}</FONT></B></TD></TR>']
    if group.is_layer:
        node = group.nodes[0]
        details = op_details(node)
        if node.op != "input":
            kind = f"{node.op} {details}".strip() if node.op != name else details
    if kind and kind != name:
        rows.append(f'<TR><TD><FONT COLOR="{MUTED_COLOR}">{html_text(kind)}</FONT></TD></TR>')
    facts = format_dims(group.shape)
    if group.params:
        facts += f" · {_count(group.params)} params"
    rows.append(f"<TR><TD>{html_text(facts)}</TD></TR>")
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
    return f"<{table}{''.join(rows)}</TABLE>>"


def _count(n: int) -> str:
    """Parameters, short: 960, 18.6K, 1.15M."""
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if n >= size:
            value = f"{n / size:.3g}"
            return f"{value}{unit}"
    return str(n)


def _text(*lines: object) -> graphviz.nohtml:
    """Plain text for a DOT attribute (a label, tooltip or id), one line per argument.

    Escaped for a DOT string (a title ending in a backslash broke the file), and marked
    `nohtml`: the graphviz package passes any value that starts with `<` and ends with
    `>` through as an HTML label, so a title such as `<...>` could draw links and boxes.
    """
    return graphviz.nohtml("\n".join(dot_string(line) for line in lines))


def layer_tooltip(node: Node) -> graphviz.nohtml:
    lines = [node.name, f"{node.op}: output {format_dims(node.shape)}"]
    if node.params:
        lines.append(f"{node.params:,} parameters ({node.trainable:,} trainable)")
    if node.flops:
        lines.append(f"{node.flops:,} multiply-accumulates")
    lines.append(f"{Path(node.loc.file).name}:{node.loc.line}")
    return _text(*lines)


def group_tooltip(group: Group) -> graphviz.nohtml:
    lines = [
        f"{group.name} ({group.kind})",
        f"output {format_dims(group.shape)}, {len(group.nodes)} layers",
        f"{group.params:,} parameters, {group.flops:,} multiply-accumulates",
    ]
    return _text(*lines)


# --- building the graph -----------------------------------------------------------------------


def cluster_id(key: tuple) -> str:
    return "cluster_" + ".".join(key)


def output_id(index: int) -> str:
    return f"output #{index}"


LEGEND_ID = "legend"


class _Builder:
    """Walks the scope tree once, drawing units (boxes) and clusters around them."""

    def __init__(self, arch, level: str, depth: int | None, note: str = "") -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if depth is not None and depth < 1:
            raise ValueError(f"depth must be 1 or more, not {depth}")
        self.arch = arch
        self.level = level
        # blocks: scopes this deep become boxes; layers: every layer is a box
        self.unit_depth = (depth or 1) if level == "blocks" else None
        # layers: clusters nest this deep (None: all the way)
        self.cluster_depth = depth if level == "layers" else None
        # Shapes on the edges wherever branches are drawn. (Labelled edges also keep dot
        # from swapping sibling branch clusters, which it does when crossings tie.)
        self.label_edges = level == "layers" or (depth or 1) > 1
        self.unit_of: dict[str, str] = {}  # IR node name -> the box that draws it
        self.families: set[str] = set()
        self.has_blocks = False
        self.note = note  # drawn as the diagram's caption
        self.boxes = 0

    def build(self) -> graphviz.Digraph:
        arch = self.arch
        dot = graphviz.Digraph(
            name=arch.name,
            graph_attr={
                **GRAPH_STYLE,
                "label": _text(self.note),
                **({"labelloc": "t"} if self.note else {}),
                "tooltip": _text(arch.spec.title),
            },
            node_attr=NODE_STYLE,
            edge_attr=EDGE_STYLE,
        )
        self.emit(dot, arch.layers, 0)
        if self.boxes > MAX_DIAGRAM_BOXES:
            raise self.too_large(f"{self.boxes:,} boxes", MAX_DIAGRAM_BOXES, "MAX_DIAGRAM_BOXES")
        self.edges(dot)
        self.branch_order(dot)
        self.outputs(dot)
        self.legend(dot)
        return dot

    # boxes and clusters

    def emit(self, container: graphviz.Digraph, nodes: list[Node], level: int) -> None:
        for group in groups(nodes, self.arch.graph.regions, level):
            if group.is_layer:
                self.layer(container, group.nodes[0])
            elif self.unit_depth is not None and level + 1 >= self.unit_depth:
                self.block(container, group)
            elif self.cluster_depth is not None and level >= self.cluster_depth:
                self.emit(container, group.nodes, level + 1)
            else:
                with container.subgraph(name=cluster_id(group.key)) as cluster:
                    self.cluster_attrs(cluster, group, level)
                    self.emit(cluster, group.nodes, level + 1)

    def cluster_attrs(self, cluster: graphviz.Digraph, group: Group, level: int) -> None:
        kind = group.kind
        role = "block" if level == 0 else "branch" if kind == "branch" else "nested"
        name = group.key[-1]
        label = name if kind in ("branch", name) else f"{name} · {kind}"
        if ".".join(group.key) in self.arch.graph.containers:  # built as one Keras layer
            label += " · keras.Sequential"
        if level == 0:
            label += f"  ({format_dims(group.shape)}, {_count(group.params)} params)"
        cluster.attr(
            label=_text(label),
            tooltip=group_tooltip(group),
            id=_text(cluster_id(group.key)),
            **CLUSTER_STYLES[role],
            **CLUSTER_FONT,
        )

    def too_large(self, what: str, limit: int, knob: str, loc: Loc | None = None):
        fewer = "the blocks view (--level blocks)" if self.level == "layers" else "no diagram"
        return DiagramTooLarge(
            f"the {self.level} view would draw {what}, more than the {limit:,} a diagram may "
            "have: dot's layout time grows faster than the drawing",
            loc or self.arch.spec.name_loc,
            hint=f"draw fewer levels (--depth 1) or {fewer} (build: --no-diagrams); the limit "
            f"is archgen.backends.graphviz.{knob} (docs/security.md)",
        )

    def layer(self, container: graphviz.Digraph, node: Node) -> None:
        self.boxes += 1
        family = REGISTRY[node.op].family
        self.families.add(family)
        self.unit_of[node.name] = node.name
        attrs = {"fillcolor": family_color(family), "tooltip": layer_tooltip(node)}
        if self.level == "blocks":
            label = block_label(Group(node.scope, [node], self.arch.graph.regions), 0)
        else:
            label = layer_label(node)
            attrs.update(MERGE_SHAPES.get(node.op, {}))
        if node.op == "input":
            attrs.update(INPUT_SHAPE)
        container.node(node.name, label=label, id=_text(node.name), **attrs)

    def block(self, container: graphviz.Digraph, group: Group) -> None:
        self.boxes += 1
        self.has_blocks = True
        name = group.name
        for node in group.nodes:
            self.unit_of[node.name] = name
        container.node(
            name,
            label=block_label(group, self.unit_depth or 0),
            id=_text(name),
            fillcolor=BLOCK_COLOR,
            tooltip=group_tooltip(group),
        )

    # edges, outputs, legend

    def edges(self, dot: graphviz.Digraph) -> None:
        """Dataflow between boxes; in the layers view each tensor's shape is written on
        its first edge (a tensor that fans out to four branches is labelled once)."""
        graph = self.arch.graph
        seen: set[tuple[str, str]] = set()
        labelled: set[str] = set()
        for node in graph:
            head = self.unit_of[node.name]
            for source in node.inputs:
                tail = self.unit_of[source]
                if tail == head or (tail, head) in seen:
                    continue
                seen.add((tail, head))
                shape = format_dims(graph[source].shape)
                attrs = {"tooltip": _text(f"{source} → {node.name}: {shape}")}
                if self.label_edges and source not in labelled:
                    labelled.add(source)
                    attrs["label"] = _text(shape)
                dot.edge(tail, head, **attrs)

    def branch_order(self, dot: graphviz.Digraph) -> None:
        """Where a tensor feeds several branches, their first boxes share a rank, left to
        right in spec order. (dot's ordering=out does not hold across clusters.)"""
        graph = self.arch.graph
        for node in graph:
            tail = self.unit_of[node.name]
            heads: list[str] = []
            for consumer in graph.consumers(node.name):
                head = self.unit_of[consumer]
                if head != tail and head not in heads and not REGISTRY[graph[consumer].op].merge:
                    heads.append(head)
            if len(heads) > MAX_DIAGRAM_ROW:
                first = graph[graph.consumers(node.name)[0]]
                what = f"{len(heads):,} branches side by side"
                raise self.too_large(what, MAX_DIAGRAM_ROW, "MAX_DIAGRAM_ROW", first.loc)
            if len(heads) > 1:
                with dot.subgraph() as row:
                    row.attr(rank="same")
                    for left, right in itertools.pairwise(heads):
                        row.edge(left, right, style="invis")

    def outputs(self, dot: graphviz.Digraph) -> None:
        outs = self.arch.outputs
        for index, node in enumerate(outs, start=1):
            name = "output" if len(outs) == 1 else f"output {index}"
            label = f"<<B>{html_text(name)}</B>"
            if self.level == "blocks":
                label += f' <FONT COLOR="{MUTED_COLOR}">{html_text(format_dims(node.shape))}</FONT>'
            label += ">"
            dot.node(
                output_id(index),
                label=label,
                id=_text(output_id(index)),
                tooltip=_text(f"{name}: {node.name}, {format_dims(node.shape)}"),
                **OUTPUT_SHAPE,
            )
            attrs = {"tooltip": _text(f"{node.name} → {name}")}
            if self.label_edges:
                attrs["label"] = _text(format_dims(node.shape))
            dot.edge(self.unit_of[node.name], output_id(index), **attrs)

    def legend(self, dot: graphviz.Digraph) -> None:
        """One small table: the colour of each op family drawn, merges' shapes."""
        cells = []
        if self.has_blocks:
            cells.append(("block", BLOCK_COLOR))
        cells += [(f, family_color(f)) for f in legend_order(self.families)]
        row = "".join(
            f'<TD BGCOLOR="{color}" BORDER="1" COLOR="{LINE_COLOR}" STYLE="rounded">'
            f" {html_text(name)} </TD>"
            for name, color in cells
        )
        label = (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">'
            f'<TR><TD><FONT COLOR="{MUTED_COLOR}">ops:</FONT></TD>{row}</TR></TABLE>>'
        )
        with dot.subgraph(name="legend_rank") as top:
            top.attr(rank="source")
            top.node(
                LEGEND_ID,
                label=label,
                id=LEGEND_ID,
                shape="plain",
                style="",
                fontsize="9",
                tooltip=_text("one colour per op family"),
            )


def dot_source(arch, level: str = "blocks", depth: int | None = None) -> str:
    """The DOT text of a diagram of `arch` (deterministic: same spec, same text).

    level "blocks": a box per model item; `depth` opens blocks (default 1).
    level "layers": a box per layer, blocks as clusters nested `depth` deep (default all).
    Raises DiagramTooLarge past the limits within which `dot` takes seconds.
    """
    return _Builder(arch, level, depth).build().source


def standard_diagrams(arch) -> tuple[dict[str, bytes], str | None]:
    """The two SVGs `build` and `docs` write, by level, and a note when the layers view
    was too large to draw: then its file holds the blocks view, captioned with why."""
    svgs, note = {"blocks": render(dot_source(arch, "blocks"), "svg")}, None
    try:
        layers = dot_source(arch, "layers")
    except DiagramTooLarge as exc:
        note = f"layers view not drawn ({exc.message}); this is the blocks view"
        layers = _Builder(arch, "blocks", None, note=note).build().source
    svgs["layers"] = render(layers, "svg")
    return svgs, note


# --- rendering ---------------------------------------------------------------------------------


def render(dot: str, fmt: str) -> bytes:
    """Lay out and draw DOT text with Graphviz's `dot`: svg, png, pdf (or the DOT itself)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "dot":
        return dot.encode()
    timeout = DOT_TIMEOUT_SECONDS
    try:
        done = subprocess.run(
            ["dot", f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=timeout
        )
    except FileNotFoundError:
        raise GraphvizMissing() from None
    except subprocess.TimeoutExpired:
        raise GraphvizFailed(
            f"Graphviz's dot took more than {timeout} s on this diagram and was stopped",
            hint="draw the blocks view (--level blocks) or fewer levels (--depth 1); "
            "the timeout is archgen.backends.graphviz.DOT_TIMEOUT_SECONDS",
        ) from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphvizFailed(
            f"Graphviz's dot failed (exit {done.returncode}): {said[-1] if said else 'no message'}",
            hint="a bug in Graphviz or archgen's DOT: please report it, with the spec; "
            "--format dot writes the DOT text",
        )
    return done.stdout
