"""scripts/check_translations.py as a module, so the tests use the same glossary rules."""

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_translations.py"


def load() -> ModuleType:
    """Import the script (scripts/ is not a package) and return it."""
    spec = importlib.util.spec_from_file_location("check_translations", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
