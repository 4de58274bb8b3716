"""Instruments for tests: one spec that uses every question kind and every kind of condition."""

from __future__ import annotations

import copy
from typing import Any

from tapestry.surveys.models import Instrument
from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.services import instrument_create


def _text(en: str, es: str) -> dict[str, str]:
    return {"en": en, "es": es}


def _choices(*pairs: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"code": code, "label": _text(en, es)} for code, en, es in pairs]


AGREEMENT = _choices(
    ("1", "Strongly disagree", "Totalmente en desacuerdo"),
    ("2", "Disagree", "En desacuerdo"),
    ("3", "Neutral", "Neutral"),
    ("4", "Agree", "De acuerdo"),
    ("5", "Strongly agree", "Totalmente de acuerdo"),
)

SAMPLE_SPEC: dict[str, Any] = {
    "slug": "sample-needs",
    "title": _text("Library health-information needs", "Necesidades de información de salud"),
    "introduction": _text(
        "Tell us what your library needs.", "Díganos qué necesita su biblioteca."
    ),
    "purpose": "needs_assessment",
    "mode": "anonymous",
    "sections": [
        {
            "title": _text("About you", "Sobre usted"),
            "questions": [
                {
                    "code": "role",
                    "kind": "single",
                    "label": _text("What is your role?", "¿Cuál es su función?"),
                    "required": True,
                    "describes": "role",
                    "choices": _choices(
                        ("liaison", "Library staff", "Personal de biblioteca"),
                        ("community_partner", "Community partner", "Organización comunitaria"),
                    ),
                },
                {
                    "code": "state",
                    "kind": "single",
                    "label": _text("Where is your library?", "¿Dónde está su biblioteca?"),
                    "describes": "state",
                    "choices": _choices(
                        ("GA", "Georgia", "Georgia"),
                        ("PR", "Puerto Rico", "Puerto Rico"),
                        ("TX", "Texas", "Texas"),
                    ),
                },
                {
                    "code": "staff",
                    "kind": "number",
                    "label": _text(
                        "How many staff work there?", "¿Cuántas personas trabajan allí?"
                    ),
                    "required": True,
                    "minimum": "1",
                    "maximum": "500",
                    "whole_number": True,
                },
            ],
        },
        {
            "title": _text("Your needs", "Sus necesidades"),
            "questions": [
                {
                    "code": "offers_health",
                    "kind": "single",
                    "label": _text(
                        "Does your library offer health programs?",
                        "¿Su biblioteca ofrece programas de salud?",
                    ),
                    "required": True,
                    "choices": _choices(("1", "Yes", "Sí"), ("0", "No", "No")),
                },
                {
                    "code": "topics",
                    "kind": "multiple",
                    "label": _text("Which topics?", "¿Qué temas?"),
                    "required": True,
                    "show_if": {"op": "=", "question": "offers_health", "value": "1"},
                    "choices": _choices(
                        ("1", "Nutrition", "Nutrición"),
                        ("2", "Mental health", "Salud mental"),
                        ("3", "Medicines", "Medicamentos"),
                        ("4", "Research", "Investigación"),
                    ),
                },
                {
                    "code": "research_detail",
                    "kind": "text",
                    "label": _text("What about research?", "¿Qué sobre la investigación?"),
                    "show_if": {"op": "checked", "question": "topics", "choice": "4"},
                },
                {
                    "code": "confident",
                    "kind": "likert",
                    "label": _text(
                        "I am confident finding health information.",
                        "Me siento capaz de encontrar información de salud.",
                    ),
                    "required": True,
                    "choices": AGREEMENT,
                },
                {
                    "code": "last_program",
                    "kind": "date",
                    "label": _text(
                        "When was your last program?", "¿Cuándo fue su último programa?"
                    ),
                    "show_if": {
                        "op": "and",
                        "args": [
                            {"op": "=", "question": "offers_health", "value": "1"},
                            {"op": ">", "question": "staff", "value": "2"},
                        ],
                    },
                },
                {
                    "code": "comments",
                    "kind": "text",
                    "label": _text("Anything else?", "¿Algo más?"),
                },
            ],
        },
    ],
}


def sample_spec(**changes: Any) -> dict[str, Any]:
    """A deep copy of SAMPLE_SPEC with top-level keys changed."""
    spec = copy.deepcopy(SAMPLE_SPEC)
    spec.update(changes)
    return spec


def instrument_make(*, status: str = Instrument.Status.PUBLISHED, **changes: Any) -> Instrument:
    """A saved instrument from the sample spec (published unless told otherwise)."""
    instrument = instrument_create(spec=InstrumentSpec.model_validate(sample_spec(**changes)))
    instrument.status = status
    instrument.save(update_fields=["status"])
    return instrument
