"""A JSON Schema of the spec language, generated from the op registry.

Editors with the YAML language server read it (every shipped spec names it in
its first line) to complete op names and arguments and to show each one's help.
Because it is generated from the registry it cannot drift; a test checks that
the committed file is current and that every shipped spec validates.
"""

from __future__ import annotations

import json

from archgen.language.parser import SPEC_VERSION
from archgen.ops import ALIASES, CONSTRUCTS, resolve, spec_op_names

SCHEMA_PATH = "schema/archgen.schema.json"
REFERENCE = {"type": "string", "pattern": r"^\$", "description": "$name or ${expression}"}
NAME = {
    "type": "string",
    "pattern": r"^([A-Za-z0-9_]|\$\{[^}]*\})+$",
    "description": "names this item (letters, digits, _ and ${...})",
}
TENSOR = {
    "type": "string",
    "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
    "description": "a tensor's name: an earlier item's name, one bound with as:, an input",
}
# What any item may carry beside its own keys (a call also among its arguments).
ITEM_OPTIONS = {
    "if": {
        "anyOf": [{"type": "boolean"}, REFERENCE],
        "description": "the item exists only when this holds",
    },
    "from": {**TENSOR, "description": "read this earlier tensor instead of the path's"},
    "as": {
        "anyOf": [TENSOR, {"type": "array", "items": TENSOR}],
        "description": "bind the output (or a block's outputs) to a name; _ binds none",
    },
}


def _attr_schema(attr) -> dict:
    typed = dict(attr.type.schema)
    default = None if attr.required else attr.default
    schema = {"anyOf": [typed, REFERENCE]} if typed else {}
    schema["description"] = f"{attr.help} ({attr.type.name}; " + (
        "required)" if attr.required else f"default {json.dumps(default)})"
    )
    if attr.required:  # editors offer it when they complete the argument
        schema["examples"] = [attr.example]
    return schema


def _op_schema(name: str) -> dict:
    op, preset = resolve(name)
    attrs = [a for a in op.attrs if a.name not in preset]
    properties = {a.name: _attr_schema(a) for a in attrs}
    properties["name"] = NAME
    properties.update(ITEM_OPTIONS)
    schema = {
        "description": (
            f"shorthand for activation: {{function: {name}}}" if name in ALIASES else op.help
        ),
        "type": ["object", "null"],
        "properties": properties,
        "additionalProperties": False,
    }
    required = [a.name for a in attrs if a.required]
    if required:
        schema["required"] = required
    return schema


def _merge_properties(keyword: str) -> dict:
    """A merge construct's own keys: its ops' attributes, and an activation after it."""
    properties = {}
    for op in CONSTRUCTS[keyword]:
        for attr in op.attrs:  # giving it picks the op (add: with scale is scaled_add)
            properties[attr.name] = {**_attr_schema(attr), "description": f"{attr.help}: {op.help}"}
    properties["activation"] = {"description": "an activation after the merge, or null"}
    return properties


def spec_schema() -> dict:
    ops = spec_op_names()
    path = {"type": ["array", "null"], "items": {"$ref": "#/definitions/item"}}
    branch = {
        "anyOf": [
            {"$ref": "#/definitions/path"},
            {
                "type": "object",
                "description": "a branch that exists only when `if` holds",
                "required": ["if"],
                "properties": {"if": ITEM_OPTIONS["if"], "seq": {"$ref": "#/definitions/path"}},
                "additionalProperties": False,
            },
        ]
    }
    branches = {
        "type": "object",
        "description": "named branches, in order; each a path from the same input",
        "additionalProperties": branch,
    }
    call_item = {
        "type": "object",
        "description": "an op or a block with its arguments (if, from, as may stand beside)",
        "minProperties": 1,
        "maxProperties": 1 + len(ITEM_OPTIONS),
        "properties": {
            **{name: {"$ref": f"#/definitions/op_{name}"} for name in ops},
            **ITEM_OPTIONS,
        },
        "additionalProperties": {
            "type": ["object", "null"],
            "description": "a block of this spec, with its arguments",
        },
    }
    merge_keys = {keyword: _merge_properties(keyword) for keyword in CONSTRUCTS}
    constructs = {
        **{
            keyword: {
                "type": "object",
                "description": "; or ".join(op.help for op in CONSTRUCTS[keyword]),
                "required": [keyword],
                "properties": {keyword: branches, "name": NAME, **keys, **ITEM_OPTIONS},
                "additionalProperties": False,
            }
            for keyword, keys in merge_keys.items()
        },
        "split": {
            "type": "object",
            "description": "ends a concat branch; its branches are separate inputs of the concat",
            "required": ["split"],
            "properties": {
                "split": {**branches, "additionalProperties": {"$ref": "#/definitions/path"}}
            },
            "additionalProperties": False,
        },
        "repeat": {
            "type": "object",
            "required": ["repeat", "seq"],
            "properties": {
                "repeat": {"anyOf": [{"type": "integer", "minimum": 0}, REFERENCE]},
                "index": {"type": "string", "description": "the loop index (default i)"},
                "seq": {"$ref": "#/definitions/path"},
                "if": ITEM_OPTIONS["if"],
            },
            "additionalProperties": False,
        },
        "side": {
            "type": "object",
            "required": ["side"],
            "properties": {"side": {"$ref": "#/definitions/path"}, "if": ITEM_OPTIONS["if"]},
            "additionalProperties": False,
        },
        "from": {
            "type": "object",
            "description": "the path goes on from an earlier tensor",
            "required": ["from"],
            "properties": {"from": ITEM_OPTIONS["from"], "if": ITEM_OPTIONS["if"]},
            "additionalProperties": False,
        },
    }
    item = {
        "anyOf": [
            {"type": "string", "description": "an op or block without arguments"},
            *({"$ref": f"#/definitions/{name}"} for name in constructs),
            {"$ref": "#/definitions/call"},
        ]
    }
    block = {
        "type": "object",
        "properties": {
            "doc": {"type": "string"},
            "args": {
                "type": "object",
                "description": "argument -> default, or `required`",
            },
            "seq": {"$ref": "#/definitions/path"},
            **{keyword: branches for keyword in CONSTRUCTS},
            **{key: value for keys in merge_keys.values() for key, value in keys.items()},
            "if": {**ITEM_OPTIONS["if"], "description": "each use is the identity unless it holds"},
            "inputs": {
                "type": "array",
                "items": TENSOR,
                "description": "tensors it takes besides x, given by name where it is used",
            },
            "outputs": {
                "type": "array",
                "items": TENSOR,
                "description": "the tensors it returns; the first flows on",
            },
            "sequential": {
                "type": "boolean",
                "description": "true: built as one keras.Sequential of the ops its seq lists",
            },
        },
        "additionalProperties": False,
    }
    definitions = {
        "path": path,
        "item": item,
        "call": call_item,
        "block": block,
        **constructs,
        **{f"op_{name}": _op_schema(name) for name in ops},
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://archgen.dev/schema/archgen.schema.json",
        "title": "archgen spec",
        "description": "A network architecture for archgen (see docs/spec-language.md).",
        "type": "object",
        "properties": {
            "archgen": {"const": SPEC_VERSION, "description": "the spec language version"},
            "name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "title": {"type": "string"},
            "source": {"type": "string"},
            "doc": {"type": "string"},
            "extends": {"type": "string", "description": "the spec this one varies"},
            "input": {
                "type": "array",
                "items": {"anyOf": [{"type": "integer", "minimum": 1}, REFERENCE]},
                "description": "[height, width, channels], or [size] for a vector; "
                "sizes may be $params",
            },
            "inputs": {
                "type": "object",
                "description": "several named inputs (instead of input:); the model's path "
                "starts from the first, the others are read with from: NAME",
                "additionalProperties": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "integer", "minimum": 1}, REFERENCE]},
                },
            },
            "constraints": {
                "type": "object",
                "description": "name -> condition the params must satisfy",
                "additionalProperties": ITEM_OPTIONS["if"],
            },
            "params": {"type": "object", "description": "defaults; --set name=value"},
            "blocks": {"type": "object", "additionalProperties": {"$ref": "#/definitions/block"}},
            "model": {"$ref": "#/definitions/path"},
            "prepend": {"$ref": "#/definitions/path"},
            "outputs": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
        },
        "required": ["archgen"],
        "additionalProperties": False,
        "definitions": definitions,
    }


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2) + "\n"


if __name__ == "__main__":  # python -m archgen.schema > schema/archgen.schema.json
    print(schema_text(), end="")
