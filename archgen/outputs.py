"""Writing outputs safely: all or nothing, never outside the output folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from archgen.errors import Loc, SpecError


def safe_child(folder: Path, filename: str) -> Path:
    """`folder/filename`, refusing names that would leave the folder."""
    path = (folder / filename).resolve()
    if path.parent != folder.resolve() or filename in ("", ".", ".."):
        raise SpecError(
            f"refusing to write {filename!r} outside {folder}",
            Loc(str(folder), 0, 0),
            hint="output names come from the spec's name: letters, digits and _",
        )
    return path


def _file_mode(path: Path) -> int:
    """The mode a plain open() would give: the old file's, else 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file atomically (a temporary file, then a rename), or none of them.

    Everything is rendered before this is called; the renames happen last, so a
    failure while rendering leaves the previous outputs as they were.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((temporary, path))  # removed below if anything fails, even writing
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, _file_mode(path))  # mkstemp makes it private (0600)
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
