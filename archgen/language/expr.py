"""The spec's small expression language, parsed and evaluated without `eval`.

Values in a spec may refer to parameters, block arguments and loop indices:

- `$name` (the whole value) is the value of `name`, of any type;
- `${expr}` (the whole value) is an arithmetic expression: numbers, names,
  `+ - * // %`, unary minus and parentheses;
- `"text${expr}text"` is a name template: the expressions are formatted into it.

Parsing happens once, when the spec is loaded (so syntax errors point at the
YAML); evaluation happens at expansion with the names in scope; the Python
source back end renders the same trees as Python expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archgen.errors import Loc, SpecError, did_you_mean
from archgen.limits import MAX_TOKENS

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REF_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_TOKEN_RE = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*%()]))")
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "//": 2, "%": 2}  # of the binary operators


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: object


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Expr:
    """A `$name` or `${expr}` value: evaluates to whatever the names hold."""

    tree: object
    text: str
    loc: Loc

    def evaluate(self, env: dict):
        return _evaluate(self.tree, env, self)

    def names(self) -> set[str]:
        return _names(self.tree)


@dataclass(frozen=True, slots=True)
class Template:
    """A text with `${expr}` holes, such as "mixed${9 + i}"."""

    parts: tuple  # str or Expr, in order
    text: str
    loc: Loc

    def evaluate(self, env: dict) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.evaluate(env)
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise SpecError(
                    f"'${{{part.text}}}' is {value!r}; only whole numbers and text "
                    "can be formatted into a name",
                    self.loc,
                )
            out.append(str(value))
        return "".join(out)

    def names(self) -> set[str]:
        return set().union(*(p.names() for p in self.parts if isinstance(p, Expr)))


def parse_value(value, loc: Loc):
    """Turn `$...` strings into Expr/Template objects; other values pass through."""
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _REF_RE.fullmatch(value)
    if whole:
        return Expr(Name(whole.group(1)), whole.group(1), loc)
    if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        text = value[2:-1]
        return Expr(parse_expr(text, loc), text, loc)
    return _parse_template(value, loc)


def _parse_template(value: str, loc: Loc) -> Template:
    parts: list = []
    pos = 0
    while True:
        start = value.find("${", pos)
        if start < 0:
            break
        end = value.find("}", start)
        if end < 0:
            raise SpecError(f"unclosed '${{' in {value!r}", loc, hint="close it with '}'")
        if start > pos:
            parts.append(value[pos:start])
        text = value[start + 2 : end]
        parts.append(Expr(parse_expr(text, loc), text, loc))
        pos = end + 1
    if not any(isinstance(p, Expr) for p in parts):
        raise SpecError(
            f"'$' in {value!r} is not a reference",
            loc,
            hint="write $name for a whole value, or ${expression} inside text",
        )
    if pos < len(value):
        parts.append(value[pos:])
    return Template(tuple(parts), value, loc)


def parse_expr(text: str, loc: Loc):
    tokens = _tokenize(text, loc)
    if len(tokens) > MAX_TOKENS:  # the parser, evaluator and printer recurse on the tree
        raise SpecError(
            f"the expression '{text[:40]}...' has more than {MAX_TOKENS} parts",
            loc,
            hint="compute part of it in a parameter or a block argument",
        )
    parser = _Parser(tokens, text, loc)
    tree = parser.expression(0)
    if parser.pos != len(tokens):
        parser.fail(f"unexpected '{tokens[parser.pos]}'")
    return tree


def _tokenize(text: str, loc: Loc) -> list[str]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            bad = text[pos:].strip()[:1]
            hint = "use // for whole-number division" if bad == "/" else None
            raise SpecError(
                f"'{bad}' is not allowed in the expression '{text}'",
                loc,
                hint=hint or "expressions use numbers, names, + - * // % and parentheses",
            )
        tokens.append(match.group(match.lastindex))
        pos = match.end()
    return tokens


class _Parser:
    """Precedence climbing over the token list."""

    def __init__(self, tokens: list[str], text: str, loc: Loc) -> None:
        self.tokens, self.text, self.loc, self.pos = tokens, text, loc, 0

    def fail(self, problem: str):
        raise SpecError(
            f"bad expression '{self.text}': {problem}",
            self.loc,
            hint="expressions use numbers, names, + - * // % and parentheses",
        )

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self, min_level: int):
        left = self.unary()
        while (op := self.peek()) in PRECEDENCE and PRECEDENCE[op] > min_level:
            self.pos += 1
            left = BinOp(op, left, self.expression(PRECEDENCE[op]))
        return left

    def unary(self):
        token = self.peek()
        if token is None:
            self.fail("it ends too early")
        self.pos += 1
        if token == "-":
            return Neg(self.unary())
        if token == "(":
            inner = self.expression(0)
            if self.peek() != ")":
                self.fail("missing ')'")
            self.pos += 1
            return inner
        if token[0].isdigit() or token[0] == ".":
            return Num(float(token) if "." in token else int(token))
        if NAME_RE.fullmatch(token):
            return Name(token)
        self.fail(f"unexpected '{token}'")


def _evaluate(tree, env: dict, expr: Expr):
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Name):
        if tree.id not in env:
            raise SpecError(
                f"'{tree.id}' is not defined here",
                expr.loc,
                hint=did_you_mean(tree.id, env)
                or "names come from params, the block's args, or a repeat index",
            )
        return env[tree.id]
    if isinstance(tree, Neg):
        return -_number(_evaluate(tree.operand, env, expr), expr)
    left = _number(_evaluate(tree.left, env, expr), expr)
    right = _number(_evaluate(tree.right, env, expr), expr)
    if tree.op == "+":
        return left + right
    if tree.op == "-":
        return left - right
    if tree.op == "*":
        return left * right
    if right == 0:
        raise SpecError(f"division by zero in '{expr.text}'", expr.loc)
    return left // right if tree.op == "//" else left % right


def _number(value, expr: Expr):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(
            f"arithmetic on {value!r} in '{expr.text}'",
            expr.loc,
            hint="only numbers can be added, multiplied or divided",
        )
    return value


def _names(tree) -> set[str]:
    if isinstance(tree, Name):
        return {tree.id}
    if isinstance(tree, Neg):
        return _names(tree.operand)
    if isinstance(tree, BinOp):
        return _names(tree.left) | _names(tree.right)
    return set()


def evaluate(value, env: dict):
    """Evaluate a parsed value (Expr, Template, or lists holding them) in `env`."""
    if isinstance(value, (Expr, Template)):
        return value.evaluate(env)
    if isinstance(value, list):
        return [evaluate(v, env) for v in value]
    return value


def free_names(value) -> set[str]:
    if isinstance(value, (Expr, Template)):
        return value.names()
    if isinstance(value, list):
        return set().union(*(free_names(v) for v in value)) if value else set()
    return set()
