"""Errors that point at the spec: every problem a user can cause is a SpecError.

A SpecError renders like a compiler diagnostic, `file:line:col: error: message`,
followed by the scope path of the layer involved and a hint saying how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a source file; line and column are 1-based, as editors count."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
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

    def with_scope(self, scope: str) -> SpecError:
        """The same error, naming the layer it happened in (the innermost scope wins)."""
        if self.scope is None:
            self.scope = scope
        return self

    def render(self) -> str:
        lines = [f"{self.loc}: error: {self.message}"]
        if self.scope:
            lines.append(f"  in: {self.scope}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
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


def did_you_mean(word: str, candidates) -> str | None:
    """A hint naming the closest candidate, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
