"""Made-up responses for the demo, the tests and the benchmarks: valid answers (in range, on
the list, following the branching) written in bulk."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from tapestry.surveys import logic
from tapestry.surveys.models import Answer, Instrument, Question, Response
from tapestry.surveys.selectors import Structure, instrument_structure
from tapestry.surveys.services import answer_rows, tallies_rebuild

SAMPLE_TEXTS = {
    "en": [
        "More classes on finding reliable health information online.",
        "Help for patrons who speak Spanish.",
        "Materials in large print.",
        "The session was clear and useful.",
    ],
    "es": [
        "Más clases sobre cómo encontrar información de salud confiable en internet.",
        "Materiales en español para las familias.",
        "La sesión fue clara y útil.",
        "Por favor, más ejemplos prácticos.",
    ],
}


def answers_random(
    structure: Structure, rng: random.Random, language: str
) -> dict[str, logic.Answer]:
    """One respondent's answers: each question that shows answered (optional ones sometimes
    skipped) with a value it accepts."""
    answers: dict[str, logic.Answer] = {}
    kinds = {question.code: question.kind for question in structure.questions}
    for question in structure.questions:
        if not logic.evaluate(question.show_if, answers, kinds):
            continue
        if not question.required and rng.random() < 0.15:
            continue
        codes = [choice.code for choice in structure.choices[question.code]]
        if question.kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
            # Skewed, like real opinions: later choices (agree, useful) are likelier.
            answers[question.code] = rng.choices(codes, weights=range(1, len(codes) + 1))[0]
        elif question.kind == Question.Kind.MULTIPLE:
            answers[question.code] = sorted(rng.sample(codes, rng.randint(1, min(3, len(codes)))))
        elif question.kind == Question.Kind.NUMBER:
            low = int(question.minimum if question.minimum is not None else 0)
            high = int(question.maximum if question.maximum is not None else low + 50)
            answers[question.code] = str(rng.randint(low, high))
        elif question.kind == Question.Kind.DATE:
            day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(330))
            answers[question.code] = day.isoformat()
        else:
            answers[question.code] = rng.choice(SAMPLE_TEXTS[language])
    return answers


def responses_generate(
    *,
    instrument: Instrument,
    count: int,
    seed: int = 2026,
    roles: Sequence[str] = ("liaison", "community_partner", "health_care_provider"),
    regions: Sequence[str] = ("1", "2", "3", "4", "5", "6", "7"),
    spanish_share: float = 0.3,
    batch: int = 5000,
) -> int:
    """Write `count` anonymous-style responses (no person) with random valid answers, spread
    over the past year, in English and Spanish, and count them into the results tallies.
    Returns the number of answers written."""
    structure = instrument_structure(instrument=instrument)
    rng = random.Random(seed)
    now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    written = 0
    for start in range(0, count, batch):
        size = min(batch, count - start)
        pending: list[tuple[Response, dict[str, logic.Answer]]] = []
        for _index in range(size):
            language = "es" if rng.random() < spanish_share else "en"
            pending.append(
                (
                    Response(
                        instrument=instrument,
                        revision=instrument.revision,
                        language=language,
                        submitted_at=now - datetime.timedelta(days=rng.randrange(365)),
                        role=rng.choice(roles) if roles else "",
                        region=rng.choice(regions) if regions else "",
                    ),
                    answers_random(structure, rng, language),
                )
            )
        with transaction.atomic():
            responses = Response.objects.bulk_create([response for response, _answers in pending])
            rows = [
                row
                for response, (_unused, answers) in zip(responses, pending, strict=True)
                for row in answer_rows(structure, response, answers)
            ]
            Answer.objects.bulk_create(rows, batch_size=5000)
        written += len(rows)
    tallies_rebuild(instrument=instrument)
    return written
