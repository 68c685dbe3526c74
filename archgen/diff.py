"""`archgen diff A B`: what a variant changes, block by block.

The model-level blocks of both networks are aligned by name (difflib, so a
layer put in front or a block removed lines up the rest), then compared on
kind, output shape, parameters and FLOPs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from archgen.ops.base import format_shape
from archgen.report import Group, groups, short_flops


@dataclass
class Row:
    change: str  # "=", "~" changed, "+" only in B, "-" only in A
    name: str
    before: Group | None
    after: Group | None


def _blocks(arch) -> list[Group]:
    return groups(arch.layers, arch.graph.regions)


def _same(a: Group, b: Group) -> bool:
    return (a.kind, a.shape, a.params, a.flops, len(a.nodes)) == (
        b.kind,
        b.shape,
        b.params,
        b.flops,
        len(b.nodes),
    )


def diff_rows(a, b) -> list[Row]:
    left, right = _blocks(a), _blocks(b)
    matcher = difflib.SequenceMatcher(
        a=[g.name for g in left], b=[g.name for g in right], autojunk=False
    )
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for x, y in zip(left[i1:i2], right[j1:j2], strict=True):
                rows.append(Row("=" if _same(x, y) else "~", x.name, x, y))
            continue
        rows += [Row("-", g.name, g, None) for g in left[i1:i2]]
        rows += [Row("+", g.name, None, g) for g in right[j1:j2]]
    return rows


def _describe(group: Group | None) -> tuple[str, str, str, str]:
    if group is None:
        return ("", "", "", "")
    return (group.kind, format_shape(group.shape), f"{group.params:,}", short_flops(group.flops))


def _pair(before: str, after: str) -> str:
    return before if before == after else f"{before} -> {after}".strip()


def diff_text(a, b, show_all: bool = False) -> str:
    lines = [f"--- {a.spec.file} ({a.name})", f"+++ {b.spec.file} ({b.name})"]
    if a.spec.input != b.spec.input:
        lines.append(f"input: {format_shape(a.spec.input)} -> {format_shape(b.spec.input)}")
    for name in sorted(set(a.spec.params) | set(b.spec.params)):
        before, after = a.spec.params.get(name), b.spec.params.get(name)
        if before != after:
            lines.append(f"param {name}: {before!r} -> {after!r}")
    rows = diff_rows(a, b)
    table = [("", "block", "kind", "output shape", "params", "FLOPs")]
    unchanged = 0
    for row in rows:
        if row.change == "=" and not show_all:
            unchanged += 1
            continue
        old, new = _describe(row.before), _describe(row.after)
        cells = [
            _pair(x, y) if row.change in "=~" else (x or y) for x, y in zip(old, new, strict=True)
        ]
        table.append((row.change, row.name, *cells))
    widths = [max(len(r[i]) for r in table) for i in range(6)]
    for row in table:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if unchanged:
        lines.append(f"({unchanged} blocks unchanged; --all shows them)")
    totals = [(a.totals.params, b.totals.params), (a.totals.flops, b.totals.flops)]
    (pa, pb), (fa, fb) = totals
    lines.append(
        f"params: {pa:,} -> {pb:,} ({pb - pa:+,}); "
        f"FLOPs: {short_flops(fa)} -> {short_flops(fb)}; layers: {len(a.graph)} -> {len(b.graph)}"
    )
    outputs_a = ", ".join(format_shape(n.shape) for n in a.outputs)
    outputs_b = ", ".join(format_shape(n.shape) for n in b.outputs)
    if outputs_a != outputs_b:
        lines.append(f"outputs: {outputs_a} -> {outputs_b}")
    return "\n".join(lines)
