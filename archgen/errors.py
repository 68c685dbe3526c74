"""Errors that point at the spec: every problem a user can cause is a SpecError.

A SpecError renders like a compiler diagnostic, `file:line:col: error: message`,
followed by the scope path of the layer involved and a hint saying how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgen.escape import terminal_lines, terminal_text
from archgen.limits import MAX_ERRORS_SHOWN


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a source file; line and column are 1-based, as editors count."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        if self.line < 1:  # a place that is not a file, such as a --set option
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN = Loc("<unknown>", 0, 0)


class SpecError(Exception):
    """A problem in a spec (or in its overrides), located in the YAML."""

    def __init__(
        self,
        message: str,
        loc: Loc | None = None,
        *,
        hint: str | None = None,
        scope: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc or UNKNOWN
        self.hint = hint
        self.scope = scope

    def render(self, color: bool = False) -> str:
        """`file:line:col: error: message`, the YAML line with a caret, scope and hint.

        Every part goes through terminal_text: a file name (or a value quoted in a
        message) may hold an escape sequence, which is shown escaped, never sent."""
        paint = _Paint(color)
        where = "archgen" if self.loc is UNKNOWN else terminal_text(str(self.loc))
        message = terminal_text(self.message)
        lines = [f"{paint.bold(where)}: {paint.red('error')}: {paint.bold(message)}"]
        source = _source_line(self.loc)
        if source is not None:
            source, col = _window(source, self.loc.col)
            gutter = f"{self.loc.line:>5} | "
            lines.append(gutter + source)
            caret = " " * (len(gutter) - 2) + "| " + _caret_indent(source, col) + "^"
            lines.append(paint.green(caret))
        if self.scope:
            lines.append(f"  in: {terminal_text(self.scope)}")
        if self.hint:
            lines.append(f"  {paint.cyan('hint')}: {terminal_lines(self.hint)}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "file": self.loc.file,
            "line": self.loc.line,
            "column": self.loc.col,
            "message": self.message,
            "scope": self.scope,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.render()


class UsageError(SpecError):
    """The command line asks for what cannot be done (an unknown layer name, a file that
    exists already): not the spec's fault. `archgen` exits 2, as for argparse's errors."""


class EnvError(SpecError):
    """The environment, not the spec: a tool that is missing, or a file given on the
    command line (a spec, weights, an image) that cannot be read. `archgen` exits 4."""


class SpecErrors(SpecError):
    """Several independent problems found in one run; the first one stands for them all."""

    def __init__(self, errors: list[SpecError]) -> None:
        first = errors[0]
        super().__init__(first.message, first.loc, hint=first.hint, scope=first.scope)
        self.errors = errors

    def render(self, color: bool = False) -> str:
        shown = [error.render(color) for error in self.errors[:MAX_ERRORS_SHOWN]]
        if len(self.errors) > MAX_ERRORS_SHOWN:
            shown.append(f"... and {len(self.errors) - MAX_ERRORS_SHOWN:,} more errors")
        return "\n\n".join(shown)

    def as_dicts(self) -> list[dict]:
        return [error.as_dict() for error in self.errors[:MAX_ERRORS_SHOWN]]


class Collector:
    """Gathers SpecErrors from independent checks, so one run reports them all.

    collect = Collector()
    for block in blocks:
        with collect:
            check(block)
    collect.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[SpecError] = []

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if isinstance(error, SpecErrors):
            self.errors.extend(error.errors)
            return True
        if isinstance(error, SpecError):
            self.errors.append(error)
            return True
        return False

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SpecErrors(self.errors)


def _source_line(loc: Loc) -> str | None:
    if loc.line < 1:
        return None
    try:
        with open(loc.file, encoding="utf-8-sig", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == loc.line:
                    # shown in a terminal: no control characters from the file
                    line = text.rstrip("\r\n").expandtabs(1)
                    return "".join(c if c.isprintable() else "?" for c in line)
    except OSError:
        return None
    return None


SHOWN_WIDTH = 100  # columns of a long source line shown around the caret


def _window(source: str, col: int) -> tuple[str, int]:
    """A long line cut to SHOWN_WIDTH columns around `col` ("..." marks the cuts), and
    the caret's column in it: a 5,000-character line stays one terminal line."""
    if len(source) <= SHOWN_WIDTH:
        return source, col
    start = max(0, min(col - 1 - SHOWN_WIDTH // 2, len(source) - SHOWN_WIDTH))
    end = start + SHOWN_WIDTH
    head = "..." if start > 0 else ""
    tail = "..." if end < len(source) else ""
    return head + source[start:end] + tail, col - start + len(head)


def _caret_indent(source: str, col: int) -> str:
    return " " * max(0, min(col, len(source) + 1) - 1)


class _Paint:
    """ANSI colours when asked for (a terminal, NO_COLOR unset), plain text otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("1;31", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


def use_color(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    return hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")


def did_you_mean(word: str, candidates) -> str | None:
    """A hint naming the closest candidate, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
