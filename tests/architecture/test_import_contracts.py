"""Each import contract in pyproject.toml breaks when the rule it states is broken.

lint-imports runs on a copy of the `tapestry` package with one violating module added, so
these tests prove the contracts catch what they claim, including an import of a module written
after the contract (the allow-list's point): a contract that kept passing here would be
decoration.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

LAYERS = "Foundations sit below the domain apps"
CORE = "Apps use core only through core.api and core.schemas"
ACCOUNTS = "Domain apps use accounts only through accounts.api and accounts.roles"
DOMAINS = "Domain apps use each other only through their api.py"
NO_DJANGO = "The research warehouse, the privacy rules and survey logic run without Django"
SURVEYS = "Surveys know nothing of what they evaluate"
LEARNING = "Learning knows nothing of research"
RESOURCES = "Resources know nothing of research"
SHARING = "Resource sharing reaches only the network"
PRIVACY = (ROOT / "tapestry" / "research" / "privacy.py").read_text()
SURVEY_LOGIC = (ROOT / "tapestry" / "surveys" / "logic.py").read_text()
SURVEY_SUPPRESSION = (ROOT / "tapestry" / "surveys" / "suppression.py").read_text()
ALL_KEPT = {
    LAYERS: "KEPT",
    CORE: "KEPT",
    ACCOUNTS: "KEPT",
    DOMAINS: "KEPT",
    NO_DJANGO: "KEPT",
    SURVEYS: "KEPT",
    LEARNING: "KEPT",
    RESOURCES: "KEPT",
    SHARING: "KEPT",
}


def _python_files_only(directory: str, names: list[str]) -> list[str]:
    return [
        name
        for name in names
        if name == "__pycache__" or (Path(directory, name).is_file() and not name.endswith(".py"))
    ]


@pytest.fixture(scope="module")
def pristine_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "tapestry", copy / "tapestry", ignore=_python_files_only)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def _contracts_with(copy: Path, tmp_path: Path, modules: dict[str, str]) -> dict[str, str]:
    """Add `modules` (dotted name -> source) to a copy of the package; each contract's verdict."""
    project = tmp_path / "project"
    shutil.copytree(copy, project)
    for dotted, source in modules.items():
        Path(project, *dotted.split(".")).with_suffix(".py").write_text(source)
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return dict(re.findall(r"^(.+?) (KEPT|BROKEN)", result.stdout, flags=re.MULTILINE))


def test_the_package_as_it_is_keeps_every_contract(pristine_copy: Path, tmp_path: Path) -> None:
    assert _contracts_with(pristine_copy, tmp_path, {}) == ALL_KEPT


def test_the_public_surfaces_may_be_imported(pristine_copy: Path, tmp_path: Path) -> None:
    allowed = (
        "from tapestry.accounts import api, roles\n"
        "from tapestry.core import api as core_api, schemas\n"
        "from tapestry.research import api as research_api\n"
    )

    assert _contracts_with(pristine_copy, tmp_path, {"tapestry.network.uses": allowed}) == (
        ALL_KEPT
    )


@pytest.mark.parametrize(
    ("modules", "broken"),
    [
        # A module written after the contract is forbidden the day it exists.
        (
            {
                "tapestry.accounts.written_tomorrow": "",
                "tapestry.network.uses": "from tapestry.accounts import written_tomorrow\n",
            },
            ACCOUNTS,
        ),
        ({"tapestry.network.uses": "from tapestry.accounts import admin\n"}, ACCOUNTS),
        ({"tapestry.research.uses": "import tapestry.accounts.models\n"}, ACCOUNTS),
        ({"tapestry.network.uses": "from tapestry.core.middleware import *\n"}, CORE),
        ({"tapestry.accounts.uses": "from tapestry.core.models import AuditEvent\n"}, CORE),
        ({"tapestry.network.uses": "from tapestry.research.models import Release\n"}, DOMAINS),
        ({"tapestry.research.uses": "from tapestry.network import selectors\n"}, DOMAINS),
        ({"tapestry.core.uses": "from tapestry.accounts import api\n"}, LAYERS),
        ({"tapestry.research.warehouse.uses": "from django.db import models\n"}, NO_DJANGO),
        # Indirectly too: the research models import Django.
        ({"tapestry.research.warehouse.uses": "from tapestry.research import models\n"}, NO_DJANGO),
        (
            {"tapestry.research.privacy": PRIVACY + "\nfrom django.conf import settings\n"},
            NO_DJANGO,
        ),
        (
            {"tapestry.surveys.logic": SURVEY_LOGIC + "\nfrom tapestry.surveys import models\n"},
            NO_DJANGO,
        ),
        (
            {
                "tapestry.surveys.suppression": SURVEY_SUPPRESSION
                + "\nfrom django.core.cache import cache\n"
            },
            NO_DJANGO,
        ),
        # The apps that attach evaluations are forbidden to surveys, their api.py too, from the
        # day they exist.
        ({"tapestry.surveys.uses": "from tapestry.learning import api\n"}, SURVEYS),
        # Learning reaches surveys, network and accounts through their api.py only.
        ({"tapestry.learning.uses": "from tapestry.surveys import models\n"}, DOMAINS),
        ({"tapestry.learning.uses": "from tapestry.accounts import models\n"}, ACCOUNTS),
        # Engagement, from the day it exists: other apps through their api.py only.
        ({"tapestry.engagement.uses": "from tapestry.network import models\n"}, DOMAINS),
        ({"tapestry.engagement.uses": "from tapestry.accounts import models\n"}, ACCOUNTS),
        ({"tapestry.engagement.uses": "from tapestry.core.models import AuditEvent\n"}, CORE),
        ({"tapestry.surveys.uses": "from tapestry.engagement import api\n"}, SURVEYS),
        # Funding, from the day it exists: other apps through their api.py only.
        ({"tapestry.funding.uses": "from tapestry.network.models import Organization\n"}, DOMAINS),
        ({"tapestry.funding.uses": "from tapestry.accounts import models\n"}, ACCOUNTS),
        ({"tapestry.funding.uses": "from tapestry.core.models import AuditEvent\n"}, CORE),
        ({"tapestry.network.uses": "from tapestry.funding import models\n"}, DOMAINS),
        ({"tapestry.surveys.uses": "from tapestry.funding import api\n"}, SURVEYS),
        # Research gates on learning.api; learning never reaches back, not even research.api.
        ({"tapestry.research.uses": "from tapestry.learning.models import Course\n"}, DOMAINS),
        ({"tapestry.learning.uses": "from tapestry.research import api\n"}, LEARNING),
        # Resources, from the day it exists: other apps through their api.py only, and never
        # research, not even its api.py.
        ({"tapestry.resources.uses": "from tapestry.network.models import Region\n"}, DOMAINS),
        ({"tapestry.resources.uses": "from tapestry.accounts import models\n"}, ACCOUNTS),
        ({"tapestry.resources.uses": "from tapestry.core.models import AuditEvent\n"}, CORE),
        ({"tapestry.network.uses": "from tapestry.resources import models\n"}, DOMAINS),
        ({"tapestry.resources.uses": "from tapestry.research import api\n"}, RESOURCES),
        # Resource sharing, from the day it exists: the network's api.py and nothing else of
        # the domain apps; others reach it through its api.py only.
        ({"tapestry.sharing.uses": "from tapestry.engagement import api\n"}, SHARING),
        ({"tapestry.sharing.uses": "from tapestry.funding import api\n"}, SHARING),
        ({"tapestry.network.uses": "from tapestry.sharing import models\n"}, DOMAINS),
    ],
)
def test_a_violation_breaks_its_contract_and_only_that_one(
    pristine_copy: Path, tmp_path: Path, modules: dict[str, str], broken: str
) -> None:
    assert _contracts_with(pristine_copy, tmp_path, modules) == {**ALL_KEPT, broken: "BROKEN"}
