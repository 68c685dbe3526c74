"""The IR's two views: the program the source back end prints, and the graph with its
scope tree (block instances with their bound arguments, repeats, merges, branches)."""

from __future__ import annotations

import archgen
from archgen.ir import AutoName, BlockUse, MergeUse, RepeatUse
from tests.conftest import SPECS


def test_the_scope_tree_records_block_instances_repeats_and_branches():
    graph = archgen.load(SPECS / "inception_v3.yaml").graph
    mixed0 = graph.regions[("mixed0",)]
    # keras.applications: mixed0's pool branch has 32 filters, mixed1's 64 (the spec's args)
    assert (mixed0.kind, mixed0.args, mixed0.repeat) == ("inception_a", {"pool_filters": 32}, None)
    assert graph.regions[("mixed1",)].args == {"pool_filters": 64}
    assert graph.regions[("mixed0", "branch5x5")].kind == "branch"
    assert graph.regions[("mixed0", "branch5x5", "conv_bn_2")].args == {
        "filters": 64,
        "kernel": 5,
        "strides": 1,
        "padding": "same",
    }
    # mixed9 and mixed10 are the two iterations of one repeat of inception_c
    (repeat, first), (same, second) = (
        graph.regions[("mixed9",)].repeat,
        graph.regions[("mixed10",)].repeat,
    )
    assert repeat is same and (repeat.count, repeat.index, first, second) == (2, "i", 0, 1)
    assert len(graph.repeats) == 3
    # every layer's scope is in the tree, as are all its prefixes
    for node in graph:
        if node.op != "input":
            assert all(node.scope[:n] in graph.regions for n in range(1, len(node.scope) + 1))


def test_the_program_holds_blocks_once_with_name_patterns():
    program = archgen.load(SPECS / "inception_resnet_v2.yaml").graph.program
    assert next(iter(program.blocks)) == "conv_bn"  # callees before callers
    repeats = [item for item in program.model if isinstance(item, RepeatUse)]
    assert [r.count for r in repeats] == [10, 20, 9]
    block35 = repeats[0].body[0]
    assert isinstance(block35, BlockUse) and block35.block == "block35"
    body = program.blocks["block35"].body
    assert isinstance(body, MergeUse) and body.op == "scaled_add"
    assert [item.name for item in body.branches[1].path] == ["mixed", "conv"]
    # in block35_mixed's branch_1, conv_bn is used twice: numbered 1 and 2;
    # in branch_0 it is the only one of its kind: not numbered
    mixed = program.blocks["block35_mixed"].body
    assert mixed.branches[0].path[0].name == AutoName("conv_bn", None)
    numbers = [item.name.number.terms for item in mixed.branches[1].path]
    assert numbers == [(((), 1),), (((), 2),)]


def test_a_count_that_changes_per_iteration_cannot_number_items(tmp_path):
    """The generated loop numbers unnamed items with a polynomial of the indices; a count
    that depends on an outer index has no such polynomial: check refuses it, located."""
    spec = tmp_path / "triangle.yaml"
    spec.write_text(
        "archgen: 1\nname: triangle\ninput: [8, 8, 3]\nmodel:\n"
        "  - repeat: 3\n    seq:\n"
        "      - repeat: $i\n        index: j\n        seq: [relu]\n"
        "  - global_avg_pool\n"
    )
    try:
        archgen.load(spec)
    except archgen.SpecError as error:
        assert "outer repeat's index (i)" in error.message
        assert (error.loc.line, error.loc.col) == (7, 9)
        assert "name the items inside" in error.hint
    else:
        raise AssertionError("accepted")
    # named items need no numbers: the same shape of loops is fine
    spec.write_text(spec.read_text().replace("seq: [relu]", 'seq: [relu: {name: "r${i}_${j}"}]'))
    assert len(archgen.load(spec).graph) == 1 + 3 + 1  # input, r1_0, r2_0, r2_1, pool
