"""Every limit archgen puts on a spec, in one place, each with the reason it exists.

A spec may come from a stranger (docs/security.md): every way a small file can ask
for a lot of work is bounded here and checked before the work is done. The modules
that enforce a limit import it from this file, so its value is written once.

To raise one from Python, set the name in the module that reads it (the module
constant is read each time it is used), e.g. `archgen.expand.MAX_REPEAT = 50_000`;
the YAML limits are fields of `archgen.language.Limits`, the layer limit is
`archgen.load(path, max_layers=N)` or `--max-layers N`. docs/security.md lists them.
"""

# --- reading the YAML file (archgen.language.yaml_loader.Limits) ----------------------------

# A spec is a few kB; 4 MiB already holds 400,000 one-line layers.
MAX_FILE_BYTES = 4 * 1024 * 1024
# Values after YAML aliases are expanded: a "billion laughs" file is a few lines long.
MAX_YAML_VALUES = 1_000_000
# Nested mappings and lists; libyaml's composer recurses per level and crashed on thousands.
MAX_YAML_DEPTH = 64

# --- the spec language (archgen.language) ---------------------------------------------------

# Errors shown from one file: past this, "... and N more" (fix the first ones first).
MAX_ERRORS_SHOWN = 50

# `extends` links in one chain (a variant of a variant of ...): 16 links, so 17 specs.
MAX_EXTENDS_DEPTH = 16
# Blocks inside blocks, branches inside branches: the expander, the source generator and
# the diagrams recurse on them, so deeper nesting would end in a RecursionError.
MAX_NESTING = 64
# Names of blocks, items, arguments (also once a name template is filled in): a layer's
# name is its scope path, so long names multiply through every layer inside.
MAX_NAME_LENGTH = 64
# Numbers, names, operators and parentheses in one `${...}` expression (parsed recursively).
MAX_TOKENS = 100
# The magnitude of any value an expression computes: no huge-integer arithmetic, no overflow.
MAX_NUMBER = 10**18

# --- expansion (archgen.expand) ---------------------------------------------------------------

# Layers after blocks are inlined and repeats unrolled: the largest library spec has
# under 1,000; checking 100,000 takes seconds. `--max-layers N` raises it per run.
MAX_LAYERS = 100_000
# One `repeat` count; nested repeats multiply and stop at MAX_LAYERS.
MAX_REPEAT = 10_000

# --- analysis (archgen.ops, archgen.passes) ---------------------------------------------------

# Filters, units, kernels, strides, padding, resize sizes: larger is a typo, not a network.
MAX_SIZE = 1 << 20
# Values per example in one tensor: refused before Keras would try to allocate it.
MAX_TENSOR_ELEMENTS = 1 << 31
# Weights in one layer: more is a typo, not a network (4 bytes each when built).
MAX_LAYER_PARAMS = 1 << 33
# The smallest-input search scans square sizes 1..this; real networks need well under 1,000.
MIN_INPUT_SCAN_LIMIT = 2048
# The scan behind the "input too small" hint of a shape error stops after this many layer
# evaluations (sizes x layers): a hint must not take longer than the check it comes with
# (30 s on a 30,000-layer spec). `archgen min-input` keeps the full scan.
MIN_INPUT_HINT_BUDGET = 1_000_000

# --- diagrams (archgen.backends.graphviz) -----------------------------------------------------

# Boxes in one diagram: dot lays out a 9,000-box chain in some 7 s; past this the layers
# view of a large network is better read as its blocks view (`build`/`docs` draw that).
MAX_DIAGRAM_BOXES = 10_000
# Boxes side by side in one row (the branches fed by one tensor): dot's layout is
# superlinear in a row's width: 300 branches of a concat take 7 s, 1,000 over 2 minutes.
MAX_DIAGRAM_ROW = 300
# Seconds `dot` may take on any one diagram, for whatever the two limits above miss.
DOT_TIMEOUT_SECONDS = 60
