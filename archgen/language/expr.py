"""The spec's small expression language, parsed and evaluated without `eval`.

Values in a spec may refer to parameters, block arguments and loop indices:

- `$name` (the whole value) is the value of `name`, of any type;
- `${expr}` (the whole value) is an expression: numbers, 'text', names, lists
  `[a, b]` and indexing `xs[i]`; `+ - * / // %` and unary minus; comparisons
  `== != < <= > >=`; `and`, `or`, `not`; `a if test else b`; the functions
  `min max abs round int ceil floor len`; parentheses;
- `"text${expr}text"` is a name template: the expressions are formatted into it.

Parsing happens once, when the spec is loaded (so syntax errors point at the
YAML); evaluation happens at expansion with the names in scope; the Python
source back end renders the same trees as Python expressions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from archgen.errors import Loc, SpecError, did_you_mean
from archgen.limits import MAX_NUMBER, MAX_TOKENS

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REF_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_TOKEN_RE = re.compile(
    r"\s*(?:(\d+\.\d*|\.\d+|\d+)|('[^'\\]*'|\"[^\"\\]*\")|([A-Za-z_][A-Za-z0-9_]*)"
    r"|(//|==|!=|<=|>=|[-+*/%()<>\[\],]))",
    re.ASCII,  # digits are 0-9 only: Unicode digits are not numbers here
)
# Binary operators by precedence, lowest first (as in Python; comparisons do not chain).
PRECEDENCE = {
    "or": 1,
    "and": 2,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), 4),  # COMPARISON_LEVEL
    "+": 5,
    "-": 5,
    **dict.fromkeys(("*", "/", "//", "%"), 6),
}
CONDITIONAL_LEVEL, NOT_LEVEL, COMPARISON_LEVEL, UNARY_LEVEL = 0, 3, 4, 7
FUNCTIONS = ("min", "max", "abs", "round", "int", "ceil", "floor", "len")
# The shape of the tensor an item receives, readable in its values (MobileNetV2's expansion
# `${in_channels * 6}`, Keras' correct_pad from `in_height`): no parameter may take these names.
SHAPE_NAMES = ("in_height", "in_width", "in_channels")
KEYWORDS = {"and", "or", "not", "if", "else", "True", "False", "true", "false"}
OPERATORS_HELP = (
    "expressions use numbers, 'text', names, [lists], xs[i], + - * / // %, comparisons, "
    "and/or/not, a if test else b, min max abs round int ceil floor len, and parentheses"
)


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float | bool


@dataclass(frozen=True, slots=True)
class Str:
    value: str


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: object


@dataclass(frozen=True, slots=True)
class Not:
    operand: object


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # arithmetic, comparison, `and` or `or`
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class IfElse:
    test: object
    then: object
    otherwise: object


@dataclass(frozen=True, slots=True)
class Call:
    function: str  # one of FUNCTIONS
    args: tuple


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple


@dataclass(frozen=True, slots=True)
class Index:
    value: object
    index: object


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
            raise SpecError(
                f"'{bad}' is not allowed in the expression '{text}'", loc, hint=OPERATORS_HELP
            )
        tokens.append(match.group(match.lastindex))
        pos = match.end()
    return tokens


class _Parser:
    """Precedence climbing over the token list."""

    def __init__(self, tokens: list[str], text: str, loc: Loc) -> None:
        self.tokens, self.text, self.loc, self.pos = tokens, text, loc, 0

    def fail(self, problem: str):
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."  # one line
        raise SpecError(f"bad expression '{shown}': {problem}", self.loc, hint=OPERATORS_HELP)

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, token: str) -> None:
        if self.peek() != token:
            self.fail(f"missing '{token}'")
        self.pos += 1

    def expression(self, min_level: int):
        """An expression whose binary operators bind tighter than `min_level`."""
        if self.peek() == "not" and min_level < NOT_LEVEL:
            self.pos += 1
            left = Not(self.expression(NOT_LEVEL))
        else:
            left = self.unary()
        while (op := self.peek()) in PRECEDENCE and PRECEDENCE[op] > min_level:
            self.pos += 1
            right = self.expression(PRECEDENCE[op])
            if PRECEDENCE[op] == COMPARISON_LEVEL == PRECEDENCE.get(self.peek()):
                self.fail("comparisons do not chain: write (a < b) and (b < c)")
            left = BinOp(op, left, right)
        if self.peek() == "if" and min_level == CONDITIONAL_LEVEL:
            self.pos += 1
            test = self.expression(CONDITIONAL_LEVEL + 0.5)
            self.take("else")
            left = IfElse(test, left, self.expression(CONDITIONAL_LEVEL))
        return left

    def unary(self):
        token = self.peek()
        if token is None:
            self.fail("it ends too early")
        if token == "-":
            self.pos += 1
            return Neg(self.unary())
        return self.postfix(self.atom())

    def postfix(self, tree):
        while self.peek() == "[":
            self.pos += 1
            index = self.expression(CONDITIONAL_LEVEL)
            self.take("]")
            tree = Index(tree, index)
        return tree

    def atom(self):
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            inner = self.expression(CONDITIONAL_LEVEL)
            self.take(")")
            return inner
        if token == "[":
            return ListOf(self.items("]"))
        if token[0].isdigit() or token[0] == ".":
            if "." not in token and len(token) > len(str(MAX_NUMBER)):  # before int() reads
                self.fail(  # it: past 4,300 digits Python refuses, before that it takes time
                    f"the number {token[:24]}... is larger than archgen's limit of {MAX_NUMBER:.0e}"
                )
            return Num(float(token) if "." in token else int(token))
        if token[0] in "'\"":
            return Str(token[1:-1])
        if token in ("True", "true", "False", "false"):
            return Num(token in ("True", "true"))
        if token in KEYWORDS or not NAME_RE.fullmatch(token):
            self.fail(f"unexpected '{token}'")
        if self.peek() == "(":
            if token not in FUNCTIONS:
                self.fail(
                    f"'{token}' is not a function here; the functions: {', '.join(FUNCTIONS)}"
                )
            self.pos += 1
            return Call(token, self.items(")"))
        return Name(token)

    def items(self, closing: str) -> tuple:
        items = []
        while self.peek() != closing:
            items.append(self.expression(CONDITIONAL_LEVEL))
            if self.peek() != closing:
                self.take(",")
        self.take(closing)
        return tuple(items)


def _evaluate(tree, env: dict, expr: Expr):
    if isinstance(tree, (Num, Str)):
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
        return _bounded(-_number(_evaluate(tree.operand, env, expr), expr), expr)
    if isinstance(tree, Not):
        return not _truth(_evaluate(tree.operand, env, expr), expr)
    if isinstance(tree, IfElse):
        chosen = tree.then if _truth(_evaluate(tree.test, env, expr), expr) else tree.otherwise
        return _evaluate(chosen, env, expr)
    if isinstance(tree, ListOf):
        return [_evaluate(item, env, expr) for item in tree.items]
    if isinstance(tree, Index):
        return _index(_evaluate(tree.value, env, expr), _evaluate(tree.index, env, expr), expr)
    if isinstance(tree, Call):
        return _call(tree.function, [_evaluate(a, env, expr) for a in tree.args], expr)
    if tree.op in ("and", "or"):  # short-circuit, as in Python
        left = _truth(_evaluate(tree.left, env, expr), expr)
        if left == (tree.op == "or"):
            return left
        return _truth(_evaluate(tree.right, env, expr), expr)
    left, right = _evaluate(tree.left, env, expr), _evaluate(tree.right, env, expr)
    if PRECEDENCE[tree.op] == COMPARISON_LEVEL:
        return _compare(tree.op, left, right, expr)
    return _bounded(_arithmetic(tree.op, _number(left, expr), _number(right, expr), expr), expr)


def _arithmetic(op: str, left, right, expr: Expr):
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise SpecError(f"division by zero in '{expr.text}'", expr.loc)
    if op == "/":
        return left / right
    return left // right if op == "//" else left % right


def _compare(op: str, left, right, expr: Expr) -> bool:
    if op in ("==", "!="):
        return (left == right) == (op == "==")
    both_numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)
    )
    if not both_numbers and not (isinstance(left, str) and isinstance(right, str)):
        raise SpecError(
            f"'{expr.text}' compares {left!r} with {right!r}",
            expr.loc,
            hint="< <= > >= compare two numbers (or two texts)",
        )
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _truth(value, expr: Expr) -> bool:
    if not isinstance(value, bool):
        raise SpecError(
            f"'{expr.text}' needs true or false here, not {value!r}",
            expr.loc,
            hint="compare it: ${stride == 2}, ${filters > 0}",
        )
    return value


def _index(value, index, expr: Expr):
    if not isinstance(value, list):
        raise SpecError(f"'{expr.text}' indexes {value!r}, which is not a list", expr.loc)
    if isinstance(index, bool) or not isinstance(index, int):
        raise SpecError(f"a list index must be a whole number, not {index!r}", expr.loc)
    if not -len(value) <= index < len(value):
        raise SpecError(
            f"index {index} is out of range in '{expr.text}': the list has {len(value)} items",
            expr.loc,
            hint=f"indices go from 0 to {len(value) - 1}",
        )
    return value[index]


def _call(function: str, args: list, expr: Expr):
    if function == "len":
        if len(args) != 1 or not isinstance(args[0], list):
            raise SpecError(f"len takes one list, in '{expr.text}'", expr.loc)
        return len(args[0])
    numbers = [_number(a, expr) for a in args]
    arity = {"min": None, "max": None, "round": (1, 2)}.get(function, (1,))
    if (arity is None and not numbers) or (arity is not None and len(numbers) not in arity):
        wanted = "one or more numbers" if arity is None else " or ".join(map(str, arity))
        raise SpecError(f"{function} takes {wanted} arguments, in '{expr.text}'", expr.loc)
    if function in ("ceil", "floor", "int", "round") and not math.isfinite(numbers[0]):
        raise SpecError(f"{function} of {numbers[0]!r} in '{expr.text}'", expr.loc)
    implementation = {
        "min": min,
        "max": max,
        "abs": abs,
        "round": round,
        "int": int,
        "ceil": math.ceil,
        "floor": math.floor,
    }[function]
    return _bounded(implementation(*numbers), expr)


def _number(value, expr: Expr):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(
            f"arithmetic on {value!r} in '{expr.text}'",
            expr.loc,
            hint="only numbers can be added, multiplied or divided",
        )
    return value


def _bounded(value, expr: Expr):
    """Numbers stay below MAX_NUMBER, so no expression makes Python work on huge integers."""
    if isinstance(value, (int, float)) and not abs(value) <= MAX_NUMBER:
        raise SpecError(
            f"'{expr.text}' gives {value:.3g}, beyond the limit of {MAX_NUMBER:.0e}",
            expr.loc,
            hint="check the expression",
        )
    return value


def _names(tree) -> set[str]:
    if isinstance(tree, Name):
        return {tree.id}
    if isinstance(tree, (Num, Str)):
        return set()
    children = {
        Neg: lambda t: (t.operand,),
        Not: lambda t: (t.operand,),
        BinOp: lambda t: (t.left, t.right),
        IfElse: lambda t: (t.test, t.then, t.otherwise),
        Call: lambda t: t.args,
        ListOf: lambda t: t.items,
        Index: lambda t: (t.value, t.index),
    }[type(tree)](tree)
    return set().union(*(_names(child) for child in children))


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
