"""Back ends: Keras model at run time, Python source, diagrams, docs."""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


@cache
def templates():
    """The jinja2 environment of every template back end: plain text, strict about names.

    Nothing is escaped by jinja2: each back end escapes what it puts in (Python
    literals, docstrings, Markdown cells) before rendering.
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
