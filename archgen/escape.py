"""Escaping: one helper per output format, so spec text and file names stay data.

Text from a spec (title, source, doc) and file names end up in Markdown pages,
HTML comments, Graphviz DOT files, HTML-like Graphviz labels and the terminal.
Each format has exactly one helper here, and every back end that writes the
format calls it; nothing escapes by hand. (Python source has its own, next to
its generator: `archgen.backends.python_source.docstring_text`; JSON is always
written by `json.dumps`.)
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

# Characters with an inline meaning in CommonMark/GFM wherever they stand: escapes,
# emphasis, code spans, links and images, raw HTML and autolinks, entities, table
# cells, strikethrough, a heading's closing #s. A backslash before ASCII punctuation
# always renders as the character itself. An `_` inside a word (snake_case) can
# neither open nor close emphasis, so it stays as it is: pages read as written.
_MARKDOWN_INLINE = re.compile(r"[\\`*\[\]<&|~#]|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_")
# What opens a block at the start of a line: a quote, a list item ("-", "+", "1." and
# "1)" before a space), a setext underline or thematic break ("=", "-").
_MARKDOWN_LINE_START = re.compile(r"^(?:[>+=-]|\d+(?=[.)](?:\s|$)))")


def markdown_text(text: object) -> str:
    """Plain text as Markdown that renders as that text: one line, no HTML, no link,
    no emphasis, safe in a table cell, a heading or a paragraph of its own."""
    line = printable(" ".join(str(text).split()))
    line = _MARKDOWN_INLINE.sub(lambda m: "\\" + m.group(), line)
    return _MARKDOWN_LINE_START.sub(lambda m: _escape_line_start(m.group()), line)


def _escape_line_start(marker: str) -> str:
    if marker.isdigit():  # "1." opens a list: escape the dot after the number
        return marker + "\\"
    return "\\" + marker


def markdown_code(text: object) -> str:
    """Text as a Markdown code span (shown as it is, nothing inside has a meaning), safe
    in a table cell: fenced by more backticks than it holds, its bars escaped (GFM
    splits table cells before it finds code spans, and removes that backslash)."""
    line = printable(" ".join(str(text).split()))
    fence = "`" * (max((len(run) for run in re.findall("`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}".replace("|", "\\|")


def markdown_url(path: str) -> str:
    """A relative path as a Markdown link destination: percent-encoded, so it holds no
    space, bracket or quote, and no scheme (a file named `javascript:x` stays a file)."""
    return quote(path, safe="/")


def html_comment_text(text: object) -> str:
    """Text inside `<!-- ... -->`: without `<` or `>` it can neither close the comment
    (`-->`, `--!>`) nor open another; one line, printable."""
    line = printable(" ".join(str(text).split()))
    return line.replace("<", "&lt;").replace(">", "&gt;")


def html_text(text: object) -> str:
    """Text inside HTML (and Graphviz's HTML-like labels): markup characters as entities."""
    return html.escape(str(text), quote=True)


def dot_string(text: object) -> str:
    """The inside of a DOT quoted string (`"..."`): backslashes doubled and quotes
    escaped, so a trailing backslash cannot end the string and `\\N` or `\\l` stay text;
    `&` as `&amp;`, so `&lt;` stays text too.
    Give it to the graphviz package wrapped in `graphviz.nohtml`, or `<...>` would
    become an HTML label (archgen.backends.graphviz does)."""
    text = printable(str(text)).replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("&", "&amp;")  # Graphviz decodes entities (&lt;, &#106;) in strings


def printable(text: str) -> str:
    """Text with every non-printable character shown as its escape (`\\x1b`, `\\u202e`):
    for file names and other text that did not pass the spec loader's checks, before it
    reaches a terminal, a page or a diagram. Newlines and tabs too: one line stays one."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


terminal_text = printable  # the terminal's helper: no escape sequence, no control byte


def terminal_lines(text: str) -> str:
    """Several lines for the terminal, each through terminal_text (its own newlines kept)."""
    return "\n".join(map(terminal_text, text.split("\n")))
