"""docs/operations.md lists every setting an operator can change, with its default."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ_FROM_ENVIRONMENT = re.compile(
    r"""(?:_env(?:_bool)?|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)\""""
)


def _settings_read() -> set[str]:
    sources = [ROOT / "config" / "settings.py", ROOT / "deploy" / "gunicorn.conf.py"]
    return {name for path in sources for name in READ_FROM_ENVIRONMENT.findall(path.read_text())}


def test_every_setting_read_from_the_environment_is_documented_with_its_default() -> None:
    documented = set(
        re.findall(
            r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "docs" / "operations.md").read_text(), re.M
        )
    )

    read = _settings_read()

    assert "TAPESTRY_SECRET_KEY" in read  # the pattern finds them
    assert sorted(read - documented) == []
    assert sorted(documented - read) == []


def test_the_readme_points_operators_to_the_operations_guide() -> None:
    assert "docs/operations.md" in (ROOT / "README.md").read_text()
