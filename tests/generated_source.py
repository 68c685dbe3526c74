"""Helpers to load generated source as a module, the way a user would import it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def import_source(source: str, folder: Path, module_name: str):
    """Write `source` to folder/module_name.py and import it as a fresh module."""
    path = folder / f"{module_name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(module_name, None)
    spec.loader.exec_module(module)
    return module
