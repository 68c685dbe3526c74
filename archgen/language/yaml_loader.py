"""Safe YAML loading that remembers where every value came from.

PyYAML composes the document into nodes (libyaml's C composer when available);
we then build plain Python values ourselves, so that
- only the core YAML types exist (no Python tags, no custom objects),
- duplicate keys are an error instead of a silent overwrite,
- every mapping and list knows the file, line and column of its keys and items,
- alias expansion, nesting depth and file size stay within limits (a YAML bomb
  fails fast instead of exhausting memory).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from archgen.errors import EnvError, Loc, SpecError
from archgen.limits import MAX_FILE_BYTES, MAX_NUMBER, MAX_YAML_DEPTH, MAX_YAML_VALUES

try:  # libyaml is several times faster; locations are the same
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_constructor = yaml.constructor.SafeConstructor()
# Characters that escapes ("\e", "\x1b", "\u202e") can put into a string: terminal
# control sequences and bidirectional overrides, which would reach error messages,
# summaries, docs and generated source. Tabs and newlines are fine.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a spec file may cost to read. Raise them with care."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_values: int = MAX_YAML_VALUES  # values after alias expansion
    max_depth: int = MAX_YAML_DEPTH


DEFAULT_LIMITS = Limits()
# libyaml (PyYAML 6.0.4's C reader) refuses more nesting itself, before archgen sees the
# events when its scanner looks ahead (up to 1,024 characters of flow `[[[...`).
LIBYAML_MAX_DEPTH = 1000


class YMap(dict):
    """A YAML mapping: a dict that also knows where its keys and values are."""

    loc: Loc
    key_locs: dict
    value_locs: dict

    def key_loc(self, key: str) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Loc:
        return self.value_locs.get(key, self.loc)


class YList(list):
    """A YAML sequence: a list that also knows where each item is."""

    loc: Loc
    item_locs: list

    def item_loc(self, index: int) -> Loc:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


def located(value, loc: Loc):
    """A mapping or list built in code (not read from YAML), located at `loc`."""
    if isinstance(value, dict):
        out = YMap(value)
        out.loc, out.key_locs, out.value_locs = loc, {}, {}
        return out
    if isinstance(value, list):
        out = YList(value)
        out.loc, out.item_locs = loc, []
        return out
    return value


def load_file(path: str | Path, limits: Limits = DEFAULT_LIMITS, named_at: Loc | None = None):
    """Read and parse one spec file. `named_at` is where another spec names it (extends:),
    where an error about the file itself points."""
    path = Path(path)
    return load_text(read_spec_bytes(path, limits, named_at), str(path), limits)


def read_spec_bytes(path: Path, limits: Limits, named_at: Loc | None = None) -> bytes:
    """The bytes of a spec file, read only if it is what it seems: a regular file in the
    folder it is named from (a symbolic link that leads out of that folder is not followed:
    a spec from a stranger could point at a secret), at most Limits.max_file_bytes long
    whatever stat says (a device reports 0), and never a pipe, which would block."""
    where = named_at or Loc(str(path), 0, 0)
    try:
        real = path.resolve(strict=True)
        folder = Path(os.path.abspath(path)).parent.resolve()
    except RuntimeError:  # Python 3.11 reports a loop of links this way
        reason = "it is a loop of symbolic links"
        raise EnvError(_cannot_read(path, reason, named_at), where, hint="remove a link") from None
    except OSError as exc:  # missing, no permission: not the spec's fault
        raise EnvError(_cannot_read(path, exc.strerror, named_at), where) from None
    if not real.is_relative_to(folder):
        reason = "it links to a file outside its folder, and archgen does not follow such links"
        raise EnvError(_cannot_read(path, reason, named_at), where, hint=_LINK_HINT)
    try:
        descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise EnvError(_cannot_read(path, exc.strerror, named_at), where) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            reason = "it is not a regular file (a folder, a device or a pipe)"
            raise EnvError(_cannot_read(path, reason, named_at), where, hint="a spec is a file")
        data = os.read(descriptor, limits.max_file_bytes + 1)
    finally:
        os.close(descriptor)
    if len(data) > limits.max_file_bytes:
        raise SpecError(
            f"the file is more than the limit of {limits.max_file_bytes:,} bytes",
            where,
            hint="a spec this large is unusual; split it, or raise Limits.max_file_bytes",
        )
    return data


_LINK_HINT = "copy the spec into the folder, or name the file it points to directly"


def _cannot_read(path: Path, reason: str, named_at: Loc | None) -> str:
    """The file is named by the error's location, unless another spec names it there."""
    return f"cannot read {path if named_at else 'the file'}: {reason}"


def load_text(data: bytes | str, filename: str, limits: Limits = DEFAULT_LIMITS):
    """Parse one YAML document into located values (YMap, YList and scalars)."""
    if isinstance(data, bytes):
        data = _decode(data, filename)
    if len(data) > limits.max_file_bytes:
        raise SpecError("the text is larger than the file size limit", Loc(filename, 1, 1))
    _check_line_breaks(data, filename)
    try:
        _check_events(data, filename, limits)  # before the composer recurses or aliases expand
        node = yaml.compose(data, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Loc(filename, mark.line + 1, mark.column + 1) if mark else Loc(filename, 1, 1)
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met while scanning ahead
            raise _too_deep(min(limits.max_depth, LIBYAML_MAX_DEPTH), loc) from None
        raise SpecError(
            f"YAML syntax error: {exc.problem or exc.context}",
            loc,
            hint=_syntax_hint(data, loc.line, str(exc.problem or "")),
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        before = data[: exc.position]
        col = exc.position - (before.rfind("\n") + 1) + 1
        raise SpecError(
            f"the character U+{exc.character:04X} is not allowed in YAML",
            Loc(filename, before.count("\n") + 1, col),
            hint="remove it (YAML text may not hold control characters)",
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Loc(filename, 1, 1)) from None
    if node is None:
        raise SpecError(
            "the file is empty", Loc(filename, 1, 1), hint="a spec starts with 'archgen: 1'"
        )
    return _Builder(filename, limits).build(node, 0)


# YAML reads these as line breaks, where editors and diffs show one line: a "comment" could
# hide a layer. Only \n and \r\n end lines in a spec.
_ODD_BREAK = re.compile("\r(?!\n)|[\u2028\u2029\x85]")


def _check_line_breaks(text: str, filename: str) -> None:
    odd = _ODD_BREAK.search(text)
    if odd:
        before = text[: odd.start()]
        line, col = before.count("\n") + 1, odd.start() - (before.rfind("\n") + 1) + 1
        raise SpecError(
            f"the line break U+{ord(odd.group()):04X} is not allowed: YAML starts a new line "
            "there, where editors show one line",
            Loc(filename, line, col),
            hint="end lines with \\n (or \\r\\n) only",
        )


def _too_deep(depth: int, loc: Loc) -> SpecError:
    return SpecError(
        f"the document nests deeper than {depth} levels",
        loc,
        hint="flatten the structure, or raise Limits.max_depth",
    )


_QUOTED = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")
_KEY_AND_TEXT = re.compile(r"^(\s*[\w-]+): (.*: .*)$")


def _syntax_hint(text: str, line: int, problem: str = "") -> str:
    """The likely cause of a YAML syntax error, from the text near it (PyYAML's message
    names the grammar, not the mistake)."""
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    colon = _KEY_AND_TEXT.match(here)
    if "mapping values are not allowed" in problem and colon and "{" not in here:
        # `title: Net: a test`: the second ': ' starts a mapping inside a plain value
        key, value = colon.groups()
        return f"quote a value that holds ': ': {key.strip()}: \"{value.strip()}\""
    # an unquoted ${...} inside {...} or [...] breaks the flow syntax; a quoted one is fine,
    # and then the mistake is elsewhere (often the indentation)
    near = " ".join(_QUOTED.sub("''", part) for part in lines[max(0, line - 2) : line])
    if "${" in near:
        return "quote values that hold ${...} inside {...} or [...]: filters: '${64 // w}'"
    if "expected '-'" in problem or "expected <block end>" in problem:
        return "check the indentation: the items of a list start in the same column"
    return "check the indentation and the brackets near this position"


_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_events(data: str, filename: str, limits: Limits) -> None:
    """Measure nesting and alias expansion on the flat event stream, before composing.

    libyaml's composer recurses once per level (some thousands of '[' crash the
    process) and its scanner slows down with the square of the depth; aliases
    multiply sizes (a "billion laughs" is a few lines). The stream stops at the
    first value past a limit, so a hostile file costs microseconds.
    """
    loader = _Loader(data)
    try:
        open_frames: list[list] = []  # enclosing collections: [values, height, anchor]
        anchored: dict[str, tuple[int, int]] = {}  # anchor -> (values, height)
        total = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, _END):
                values, height, anchor = open_frames.pop()
                if anchor is not None:
                    anchored[anchor] = (values, height)
            elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, *_START)):
                mark = event.start_mark
                loc = Loc(filename, mark.line + 1, mark.column + 1)
                values, height = 1, 0
                if isinstance(event, yaml.AliasEvent):
                    if any(frame[2] == event.anchor for frame in open_frames):
                        raise SpecError(
                            f"the alias *{event.anchor} is inside the value it names",
                            loc,
                            hint="a value cannot contain itself; write it out",
                        )
                    values, height = anchored.get(event.anchor, (1, 0))
                total += values
                if total > limits.max_values:
                    raise SpecError(
                        f"the document expands to more than {limits.max_values:,} values",
                        loc,
                        hint="YAML aliases (*name) are expanding too much; write the values "
                        "out, or raise Limits.max_values",
                    )
                if len(open_frames) + height > limits.max_depth:
                    raise _too_deep(limits.max_depth, loc)
                if isinstance(event, _START):
                    open_frames.append([1, 0, event.anchor])
                    continue
                if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                    anchored[event.anchor] = (1, 0)
            else:  # stream and document boundaries
                continue
            if open_frames:  # a finished value counts in the collection around it
                parent = open_frames[-1]
                parent[0] += values
                parent[1] = max(parent[1], height + 1)
    finally:
        loader.dispose()


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            Loc(filename, line, col),
            hint="save the spec as UTF-8",
        ) from None


class _Builder:
    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename = filename
        self.limits = limits
        self.count = 0

    def loc(self, node) -> Loc:
        return Loc(self.filename, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node, depth: int):
        self.count += 1
        if self.count > self.limits.max_values:
            raise SpecError(
                f"the document expands to more than {self.limits.max_values:,} values",
                self.loc(node),
                hint="YAML aliases (*name) are expanding too much; write the values out",
            )
        if depth > self.limits.max_depth:
            raise _too_deep(self.limits.max_depth, self.loc(node))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, depth)
        return self.scalar(node)

    def mapping(self, node, depth: int) -> YMap:
        self.check_tag(node, _MAP_TAG)
        out = located({}, self.loc(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(
                    "YAML merge keys (<<) are not supported",
                    self.loc(key_node),
                    hint="use 'extends:' or a block to share definitions",
                )
            key = self.build(key_node, depth + 1)
            if not isinstance(key, str):
                raise SpecError(
                    f"a key must be text, not {type(key).__name__} ({key!r})",
                    self.loc(key_node),
                    hint="quote the key",
                )
            if key in out:
                first = out.key_locs[key]
                raise SpecError(
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    self.loc(key_node),
                    hint="each key may appear once in a mapping; remove or rename one",
                )
            out[key] = self.build(value_node, depth + 1)
            out.key_locs[key] = self.loc(key_node)
            out.value_locs[key] = self.loc(value_node)
        return out

    def sequence(self, node, depth: int) -> YList:
        self.check_tag(node, _SEQ_TAG)
        out = located([], self.loc(node))
        for item in node.value:
            out.append(self.build(item, depth + 1))
            out.item_locs.append(self.loc(item))
        return out

    def scalar(self, node):
        if node.tag == _TIMESTAMP_TAG:
            raise SpecError(
                f"{node.value!r} reads as a date in YAML",
                self.loc(node),
                hint=f"quote it if you mean text: '{node.value}'",
            )
        if node.tag == "tag:yaml.org,2002:int" and ":" in node.value:
            raise SpecError(
                f"{node.value!r} reads as a base-60 number in YAML 1.1 "
                f"({_constructor.construct_yaml_int(node)})",
                self.loc(node),
                hint=f"quote it if you mean text: '{node.value}'",
            )
        self.check_tag(node, None)
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 24:  # before Python
            raise SpecError(  # converts it: 0x and 4,300 digits cost time, not sense
                f"the number {node.value[:24]}... is larger than archgen's limit of "
                f"{MAX_NUMBER:.0e}",
                self.loc(node),
                hint="check the value",
            )
        try:
            value = _constructor.yaml_constructors[node.tag](_constructor, node)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            raise SpecError(f"bad value {node.value!r}: {exc}", self.loc(node)) from None
        if isinstance(value, int) and abs(value) > MAX_NUMBER:
            raise SpecError(
                f"the number {value:,} is larger than archgen's limit of {MAX_NUMBER:.0e}",
                self.loc(node),
                hint="check the value",
            )
        bad = _CONTROL.search(value) if isinstance(value, str) else None
        if bad:
            raise SpecError(
                f"the text {value!r} holds the control character U+{ord(bad.group()):04X}",
                self.loc(node),
                hint="spec text reaches terminals and generated files; remove the character",
            )
        return value

    def check_tag(self, node, expected: str | None) -> None:
        allowed = _SCALAR_TAGS if expected is None else {expected}
        if node.tag not in allowed:
            raise SpecError(
                f"the YAML tag '{node.tag}' is not allowed",
                self.loc(node),
                hint="specs use plain YAML values only; remove the tag",
            )
