"""The researcher workbench's part of `make demo` (run after seed_demo and learning_seed_demo,
which completes the researcher persona's registered-tier course 60 days back).

- Wei Chen (researcher@tapestry.example) has registered access: identity confirmed by Dana
  Whitfield (program staff), an authenticator app, the training, the Data User Code of Conduct
  version 1 signed, and a confirmed address at the University of Alabama at Birmingham, whose
  agreement is in force; his workspace studies diabetes and blood sugar control in Birmingham.
- Lucía Fernández (researcher2@tapestry.example, Spanish) has everything but the training, so
  her access page shows what is missing.
- Three researchers at other institutions, whose training staff waived for now (a bypass,
  with its reason), fill the public list of projects.

Everything goes through the services, as people would do it, so the research log tells the
story too. Safe to run again: what exists is left as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tapestry.accounts import api as accounts_api
from tapestry.accounts.api import Role, person_ensure, role_grant
from tapestry.research import services
from tapestry.research.access import access_of, conduct_current
from tapestry.research.models import (
    ConductSignature,
    Dataset,
    IdentityAttestation,
    Institution,
    Release,
    Requirement,
    SavedCohort,
    Tier,
    Workspace,
)
from tapestry.research.search import normalize
from tapestry.research.warehouse.cohort_definition import definition_parse

DATA = Path(__file__).resolve().parent / "data" / "code_of_conduct"
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only, the same as seed_demo's
RESEARCHER = "researcher@tapestry.example"
RESEARCHER_2 = "researcher2@tapestry.example"
STAFF = "programstaff@tapestry.example"


@dataclass(frozen=True)
class DemoInstitution:
    name: str
    domain: str
    controlled_tier: bool = False


@dataclass(frozen=True)
class DemoProject:
    owner_email: str
    owner_name: str
    institution: DemoInstitution
    name: str
    purpose: str
    tier: str = Tier.REGISTERED


UAB = DemoInstitution("University of Alabama at Birmingham", "uab.example")
UIC = DemoInstitution("University of Illinois Chicago", "uic.example")
WAYNE = DemoInstitution("Wayne State University", "wayne.example")
UMKC = DemoInstitution("University of Missouri–Kansas City", "umkc.example")

WEI_PROJECT = DemoProject(
    RESEARCHER,
    "Wei Chen",
    UAB,
    "Diabetes and blood sugar control in Birmingham",
    "We want to learn how many adults with type 2 diabetes in the Birmingham area reach good "
    "blood sugar control (HbA1c below 7%), and how that differs by age, sex, race and "
    "ethnicity, and for people living in rural ZIP codes. The results will help local clinics "
    "and libraries plan diabetes education where it is needed most.",
)
OTHER_PROJECTS = (
    DemoProject(
        "amara.johnson@uic.example",
        "Amara Johnson",
        UIC,
        "Asthma medicines and emergency visits in Chicago",
        "Do adults with asthma who fill a controller inhaler regularly have fewer emergency "
        "visits? We compare participants by how often they fill their medicines, by "
        "neighborhood income and by insurance, to see who may need more support.",
    ),
    DemoProject(
        "daniel.kowalski@wayne.example",
        "Daniel Kowalski",
        WAYNE,
        "Blood pressure after age 65 in Detroit",
        "How often do participants aged 65 and over have high blood pressure readings, and how "
        "many take a medicine for it? We look at differences by race, ethnicity and disability "
        "to inform community health programs for older adults.",
    ),
    DemoProject(
        "sofia.ramos@umkc.example",
        "Sofía Ramos",
        UMKC,
        "Depresión y acceso a la atención médica en Kansas City",
        "Queremos saber cuántas personas participantes con depresión tienen una fuente habitual "
        "de atención médica, y si el costo, el transporte o el cuidado de niños retrasan su "
        "atención. Los resultados ayudarán a clínicas comunitarias de habla hispana.",
    ),
)
# Why the staff waived these researchers' training in the demo (a bypass needs a reason).
TRAINING_BYPASS_REASON = (
    "Demo: completed the equivalent course at their institution; certificate checked by staff."
)


def _user(email: str) -> Any:
    return get_user_model().objects.filter(email=email).first()


def _persona(email: str) -> Any:
    """The persona's user, made with the demo password if it does not exist yet."""
    user = _user(email)
    if user is None:
        persona = next(item for item in accounts_api.PERSONAS if item.email == email)
        user = accounts_api.persona_ensure(persona, password=DEMO_PASSWORD)
    return user


def _demo_researcher(email: str, name: str) -> Any:
    """A researcher who is not a persona: confirmed address, researcher role."""
    user_id = person_ensure(email=email, name=name, language="en")
    EmailAddress.objects.filter(user_id=user_id, email=email).update(verified=True)
    role_grant(user_id=user_id, roles=[Role.RESEARCHER])
    return get_user_model().objects.get(pk=user_id)


def _institution(item: DemoInstitution, staff: Any) -> Institution:
    existing = Institution.objects.filter(name=item.name).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    return services.institution_save(
        actor=staff,
        name=item.name,
        domains=[item.domain],
        agreement_signed_on=today - datetime.timedelta(days=400),
        agreement_expires_on=today + datetime.timedelta(days=3 * 365),
        controlled_tier=item.controlled_tier,
    )


def _institution_email(user: Any, domain: str) -> None:
    """A second, confirmed address at the institution (the person's own stays primary)."""
    local = user.email.split("@")[0]
    if local in {"researcher", "researcher2"}:
        local = ".".join(normalize(user.get_full_name()).split())
    address = f"{local}@{domain}"
    if not EmailAddress.objects.filter(user=user, email=address).exists():
        EmailAddress.objects.create(user=user, email=address, verified=True, primary=False)


def _ready(user: Any, staff: Any, institution: DemoInstitution) -> None:
    """Every requirement a researcher meets themself or through staff, but the training."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, accounts_api.DEMO_TOTP_SECRET)
    _institution_email(user, institution.domain)
    if not IdentityAttestation.objects.filter(user=user, withdrawn_at__isnull=True).exists():
        services.identity_attest(
            actor=staff,
            user_id=user.pk,
            method=IdentityAttestation.Method.VIDEO,
            note="Demo: driver's license shown on a video call.",
        )
    current = conduct_current()
    if current and not ConductSignature.objects.filter(user=user, version=current).exists():
        services.conduct_sign(user=user, version_id=current.pk, typed_name=user.get_full_name())


def _project(project: DemoProject, owner: Any) -> str:
    if Workspace.objects.filter(owner=owner, name=project.name).exists():
        return f"Workspace ready: {project.name}"
    if not access_of(owner).has(Tier(project.tier)):
        return f"{owner.get_full_name()} lacks {project.tier} access: no workspace made."
    services.workspace_create(
        user=owner, name=project.name, purpose=project.purpose, tier=project.tier
    )
    return f"Workspace created: {project.name}"


# Wei's saved cohorts (warehouse/cohort_definition.py JSON) and his dataset of one of them.
TYPE_2_DIABETES, DIABETES, HBA1C, SYSTOLIC, METFORMIN = 201826, 201820, 3004410, 3004249, 1503297
DEMO_COHORTS = (
    (
        "Adults 40 to 64 with type 2 diabetes and a high HbA1c within a year",
        "The issue's cohort: a demographic, a condition with its descendants, and a measurement "
        "above 6.5 % within 365 days of the diagnosis.",
        {
            "include": [
                {"items": [{"domain": "demographic", "field": "age", "min": 40, "max": 64}]},
                {"items": [{"domain": "condition", "concept_id": TYPE_2_DIABETES}]},
                {
                    "items": [
                        {
                            "domain": "measurement",
                            "concept_id": HBA1C,
                            "value": {"above": 6.5},
                            "temporal": {
                                "relation": "within",
                                "days": 365,
                                "anchor": {"domain": "condition", "concept_id": TYPE_2_DIABETES},
                            },
                        }
                    ]
                },
            ]
        },
    ),
    (
        "Diabetes without metformin, underrepresented by income or rural residence",
        "Any diabetes, never prescribed metformin, from a low-income household or a rural ZIP "
        "code.",
        {
            "include": [
                {"items": [{"domain": "condition", "concept_id": DIABETES}]},
                {
                    "items": [
                        {"domain": "demographic", "field": "ubr", "values": ["income", "rural"]}
                    ]
                },
            ],
            "exclude": [{"items": [{"domain": "drug", "concept_id": METFORMIN}]}],
        },
    ),
)
DEMO_DATASET = "HbA1c and blood pressure of the HbA1c cohort"


def _cohorts_and_dataset(wei: Any) -> list[str]:
    """Wei's two saved cohorts and a dataset of the first, built now (the queued task finds it
    built and leaves it). Needs a ready release; without one, says so."""
    workspace = Workspace.objects.filter(owner=wei, name=WEI_PROJECT.name).first()
    if workspace is None:
        return []
    if not Release.objects.filter(status=Release.Status.READY).exists():
        return ["No data release yet: Wei's cohorts and dataset wait for research_release."]
    for name, description, definition in DEMO_COHORTS:
        if not SavedCohort.objects.filter(workspace=workspace, name=name).exists():
            services.cohort_save(
                user=wei,
                workspace_id=workspace.public_id,
                name=name,
                description=description,
                definition=definition_parse(definition),
            )
    if not Dataset.objects.filter(workspace=workspace, name=DEMO_DATASET).exists():
        cohort = SavedCohort.objects.get(workspace=workspace, name=DEMO_COHORTS[0][0])
        dataset = services.dataset_create(
            user=wei,
            workspace=workspace,
            name=DEMO_DATASET,
            cohort_id=cohort.pk,
            concept_sets=[
                {"domain": "measurement", "concept_id": HBA1C, "descendants": True},
                {"domain": "measurement", "concept_id": SYSTOLIC, "descendants": True},
            ],
            columns={
                "person": ["year_of_birth", "sex_at_birth", "race", "ethnicity", "zip3"],
                "measurement": ["concept_name", "date", "value", "unit"],
            },
            fmt="parquet",
        )
        services.dataset_build(dataset_id=dataset.pk)
    dataset = Dataset.objects.get(workspace=workspace, name=DEMO_DATASET)
    return [f"Wei's cohorts saved; dataset {dataset.name!r}: {dataset.status}, {dataset.rows} rows"]


@transaction.atomic
def workbench_demo() -> list[str]:
    """Seed the workbench's demo (see the module's docstring); returns one line per step."""
    staff = _persona(STAFF)
    lines = []
    for item in (UAB, UIC, WAYNE, UMKC):
        _institution(item, staff)
    if conduct_current() is None:
        services.conduct_publish(
            actor=staff,
            text_en=(DATA / "v1.en.txt").read_text(encoding="utf-8"),
            text_es=(DATA / "v1.es.txt").read_text(encoding="utf-8"),
        )
    wei = _persona(RESEARCHER)
    _ready(wei, staff, UAB)
    lines.append(_project(WEI_PROJECT, wei))
    lucia = _persona(RESEARCHER_2)
    _ready(lucia, staff, UAB)
    for project in OTHER_PROJECTS:
        owner = _demo_researcher(project.owner_email, project.owner_name)
        _ready(owner, staff, project.institution)
        if not access_of(owner).has(Tier.REGISTERED):
            services.bypass_grant(
                actor=staff,
                user_id=owner.pk,
                requirement=Requirement.TRAINING,
                reason=TRAINING_BYPASS_REASON,
                ends_on=timezone.localdate() + datetime.timedelta(days=90),
            )
        lines.append(_project(project, owner))
    lines.extend(_cohorts_and_dataset(wei))
    for person in (wei, lucia):
        state = access_of(person)
        missing = ", ".join(str(item.requirement.label) for item in state.missing()) or "nothing"
        lines.append(f"{person.get_full_name()}: {state.tier.label} access; missing: {missing}")
    return lines
