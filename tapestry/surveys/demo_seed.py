"""The surveys in `make demo`: the five shipped templates, published, with a few hundred
made-up responses in English and Spanish, placed in the regions of the map in force and, for
the evaluations, spread over a few demo courses and events.

The responses follow the answers where an anonymous instrument asks for them: a response's
role is its role question's answer and its region the region of the state it named, as the
answering pages record them.
"""

from __future__ import annotations

import itertools
import random

from django.db.models import Q

from tapestry.accounts.roles import Role
from tapestry.network.api import region_of_state, regions
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import (
    Answer,
    Attachment,
    Choice,
    Instrument,
    Question,
    Response,
    Subject,
)
from tapestry.surveys.services import (
    instrument_from_template,
    tallies_rebuild,
    template_names,
    template_spec,
)

# How many responses each template gets. The partner assessment is identified: it waits for
# the liaison persona to answer it, so it gets none.
DEMO_RESPONSES = {
    "library-health-needs": 400,
    "course-evaluation": 150,
    "event-evaluation": 150,
    "partner-learning-needs": 0,
    # Awardees answer it as their final report (funding attaches it to each award).
    "award-final-report": 0,
}
# The other apps' objects the evaluations are attached to (learning and engagement are not
# built yet; their ids here are placeholders the demo keeps stable).
DEMO_SUBJECTS = {
    "course-evaluation": (Subject.COURSE, ("demo-course-1", "demo-course-2", "demo-course-3")),
    "event-evaluation": (Subject.EVENT, ("demo-event-1", "demo-event-2")),
}
DEMO_ROLES = (Role.LIAISON, Role.COMMUNITY_PARTNER, Role.HEALTH_CARE_PROVIDER)
SPANISH_SHARE = 1 / 3


def demo_surveys_seed(*, seed: int = 2026) -> dict[str, int]:
    """Load the templates (published) and their demo responses; returns the number of new
    responses by link name. What already exists is left alone, so a second run adds nothing."""
    region_codes = [region.code for region in regions()]
    created: dict[str, int] = {}
    for offset, name in enumerate(template_names()):
        slug = template_spec(name=name).slug
        instrument = Instrument.objects.filter(slug=slug).first()
        if instrument is None:
            instrument = instrument_from_template(name=name, publish=True)
        count = DEMO_RESPONSES.get(name, 0)
        if count == 0 or Response.objects.filter(instrument=instrument).exists():
            created[slug] = 0
            continue
        responses_generate(
            instrument=instrument,
            count=count,
            seed=seed + offset,
            roles=[role.value for role in DEMO_ROLES],
            regions=region_codes,
            spanish_share=SPANISH_SHARE,
        )
        _states_spread(instrument, random.Random(seed + offset))
        _filters_from_answers(instrument)
        if name in DEMO_SUBJECTS:
            kind, refs = DEMO_SUBJECTS[name]
            _spread_over_subjects(instrument, kind, refs)
        # The answers and groups changed after the generator counted them.
        tallies_rebuild(instrument=instrument)
        created[slug] = count
    return created


def _states_spread(instrument: Instrument, rng: random.Random) -> None:
    """The generator favours later choices (opinions lean one way); states should not lean
    towards Wyoming. No condition reads the state, so redrawing it keeps answers consistent."""
    for question in Question.objects.filter(
        instrument=instrument, describes=Question.Describes.STATE
    ):
        states = list(Choice.objects.filter(question=question))
        answers = list(Answer.objects.filter(question=question).order_by("pk"))
        for answer in answers:
            answer.choice = rng.choice(states)
        Answer.objects.bulk_update(answers, ["choice"], batch_size=1000)


def _filters_from_answers(instrument: Instrument) -> None:
    """Role and region as the answers give them (anonymous instruments have no account)."""
    described = Question.objects.filter(instrument=instrument).exclude(describes="")
    for question in described:
        for choice in Choice.objects.filter(question=question):
            answered = Response.objects.filter(
                instrument=instrument, answers__question=question, answers__choice=choice
            )
            if question.describes == Question.Describes.ROLE:
                answered.update(role=choice.code)
            else:
                region = region_of_state(state_code=choice.code)
                answered.update(region=region.code if region else "")


def _spread_over_subjects(instrument: Instrument, kind: str, refs: tuple[str, ...]) -> None:
    """Attach the evaluation to each demo subject and deal the responses out among them."""
    for ref in refs:
        Attachment.objects.update_or_create(
            subject_kind=kind, subject_ref=ref, defaults={"instrument": instrument}
        )
    ids = Response.objects.filter(instrument=instrument).order_by("pk").values_list("pk", flat=True)
    dealt: dict[str, list[int]] = {ref: [] for ref in refs}
    for ref, pk in zip(itertools.cycle(refs), ids, strict=False):
        dealt[ref].append(pk)
    for ref, pks in dealt.items():
        Response.objects.filter(Q(pk__in=pks)).update(subject_kind=kind, subject_ref=ref)
