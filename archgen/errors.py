"""Errors that point at the spec: every problem a user can cause is a SpecError.

A SpecError renders like a compiler diagnostic, `file:line:col: error: message`,
followed by the scope path of the layer involved and a hint saying how to fix it.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

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
        _collecting.set((*_collecting.get(), self))
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        _collecting.set(_collecting.get()[:-1])
        if isinstance(error, SpecError):
            # a kept traceback keeps every frame it passed alive, with their locals (a list
            # of 20,000 candidate names per error: 3 GB and 30 s for 20,000 errors)
            error.__traceback__ = None
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


# The Collectors whose `with` blocks we are in (nested: a path's inside the spec's).
_collecting: ContextVar[tuple[Collector, ...]] = ContextVar("collecting", default=())


def _errors_beyond_shown() -> bool:
    """Whether the errors collected so far already fill what is shown: a new one is only
    counted in "... and N more", so nothing it would show is worth computing."""
    return sum(len(c.errors) for c in _collecting.get()) >= MAX_ERRORS_SHOWN


def _source_line(loc: Loc) -> str | None:
    if loc.line < 1:
        return None
    try:
        stat = os.stat(loc.file)
        lines = _file_lines(loc.file, stat.st_mtime_ns, stat.st_size)
    except OSError:
        return None
    if loc.line > len(lines):
        return None
    # shown in a terminal: no control characters from the file
    line = lines[loc.line - 1].rstrip("\r\n").expandtabs(1)
    return "".join(c if c.isprintable() else "?" for c in line)


@lru_cache(maxsize=2)
def _file_lines(path: str, mtime_ns: int, size: int) -> list[str]:
    """The file's lines, read once for all the errors in it (reading up to the line for
    each error made 50 errors in a 4 MiB file cost 50 reads). Keyed by the modification
    time and size, so an edited file is read again."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return handle.readlines()


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
    """A hint naming the closest candidate, or None when nothing is close.

    The search is linear in the candidates, so one per error made 20,000 errors among
    20,000 blocks quadratic (minutes). Past the errors shown (MAX_ERRORS_SHOWN, counted
    in the Collectors around us) the hint would never be seen: None, at no cost."""
    if _errors_beyond_shown():
        return None
    import difflib

    # difflib finds names that share letters; a typo is also few edits away, or a name cut
    # short or spelled out (`padd`, `concatenate`). Both, so that `reshape` (3 edits from
    # `resize`, an op that means something else) gets no suggestion, but `conv2` does.
    close = difflib.get_close_matches(word, sorted(candidates), n=5, cutoff=0.6)
    typos = [c for c in close if _typo_of(word.lower(), c.lower())]
    return f"did you mean '{typos[0]}'?" if typos else None


def _typo_of(word: str, name: str) -> bool:
    if min(len(word), len(name)) >= 3 and (word.startswith(name) or name.startswith(word)):
        return True
    return _edits(word, name) <= max(1, len(word) // 4)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, with a swap of two neighbours as one edit (Damerau)."""
    before, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, row = row, current
    return row[-1]
