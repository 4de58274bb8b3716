"""The five shipped templates: they load, they are whole in Spanish, their branching reads
earlier questions; loading them (and the demo) twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from tapestry.accounts.roles import Role
from tapestry.network.api import region_of_state, regions
from tapestry.surveys import logic
from tapestry.surveys.demo_seed import DEMO_RESPONSES, demo_surveys_seed
from tapestry.surveys.models import Attachment, Instrument, Question, Response
from tapestry.surveys.schemas import InstrumentSpec, ParagraphSpec, QuestionSpec, TextSpec
from tapestry.surveys.services import (
    SpecError,
    SurveyError,
    instrument_from_template,
    spec_problems,
    template_names,
    template_spec,
)

TEMPLATES = {
    "library-health-needs": ("needs_assessment", "anonymous"),
    "partner-learning-needs": ("needs_assessment", "identified"),
    "course-evaluation": ("course_evaluation", "anonymous"),
    "event-evaluation": ("event_evaluation", "anonymous"),
    "award-final-report": ("award_evaluation", "identified"),
}


def _questions(spec: InstrumentSpec) -> list[QuestionSpec]:
    return [question for section in spec.sections for question in section.questions]


def test_the_five_templates_are_shipped() -> None:
    assert template_names() == sorted(TEMPLATES)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_template_has_its_purpose_and_mode_and_no_problems(name: str) -> None:
    spec = template_spec(name=name)

    assert (spec.purpose, spec.mode) == TEMPLATES[name]
    assert spec.slug == name
    assert spec_problems(spec) == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_text_of_a_template_is_in_english_and_spanish(name: str) -> None:
    spec = template_spec(name=name)
    texts: list[TextSpec | ParagraphSpec] = [spec.title, spec.introduction]
    for section in spec.sections:
        texts += [section.title]
        for question in section.questions:
            texts += [question.label, *(choice.label for choice in question.choices)]
            if question.help.en:
                texts.append(question.help)

    missing = [text.en for text in texts if not (text.en.strip() and text.es.strip())]

    assert missing == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_templates_conditions_read_only_earlier_questions(name: str) -> None:
    earlier: set[str] = set()
    late: list[str] = []
    for question in _questions(template_spec(name=name)):
        late += sorted(logic.references(question.show_if) - earlier)
        earlier.add(question.code)

    assert late == []


def test_the_needs_assessment_branches_and_describes_the_respondent() -> None:
    questions = {q.code: q for q in _questions(template_spec(name="library-health-needs"))}

    assert questions["languages"].show_if == {
        "op": "=",
        "question": "serves_other_languages",
        "value": "yes",
    }
    assert questions["state"].describes == "state"
    assert questions["respondent_role"].describes == "role"
    role_codes = {choice.code for choice in questions["respondent_role"].choices}
    assert role_codes <= set(Role.values)
    state_codes = [choice.code for choice in questions["state"].choices]
    assert {"CA", "DC", "PR", "TX", "WY"} <= set(state_codes)
    assert len(state_codes) >= 52


@pytest.mark.django_db
def test_every_state_of_the_needs_assessment_has_a_region() -> None:
    spec = template_spec(name="library-health-needs")
    (state,) = [q for q in _questions(spec) if q.describes == "state"]

    without_region = [
        choice.code for choice in state.choices if region_of_state(state_code=choice.code) is None
    ]

    assert without_region == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_template_becomes_an_instrument(name: str) -> None:
    instrument = instrument_from_template(name=name, publish=True)

    assert instrument.status == Instrument.Status.PUBLISHED
    assert Question.objects.filter(instrument=instrument).count() == len(
        _questions(template_spec(name=name))
    )


@pytest.mark.django_db
def test_a_template_under_a_taken_link_name_is_refused_and_nothing_is_added() -> None:
    instrument_from_template(name="course-evaluation")

    with pytest.raises(SpecError):
        instrument_from_template(name="course-evaluation")

    assert Instrument.objects.count() == 1


@pytest.mark.django_db
def test_a_template_can_be_copied_under_another_link_name() -> None:
    copy = instrument_from_template(name="course-evaluation", slug="course-evaluation-2027")

    assert (copy.slug, copy.status) == ("course-evaluation-2027", Instrument.Status.DRAFT)


def test_a_name_that_is_not_a_template_is_refused() -> None:
    with pytest.raises(SurveyError):
        template_spec(name="../../settings")


@pytest.mark.django_db
def test_loading_the_templates_twice_creates_each_once() -> None:
    call_command("surveys_load_templates", "--publish", stdout=io.StringIO())
    call_command("surveys_load_templates", stdout=io.StringIO())

    assert sorted(Instrument.objects.values_list("slug", "status")) == [
        (name, "published") for name in sorted(TEMPLATES)
    ]


@pytest.mark.django_db
def test_the_demo_answers_in_both_languages_with_real_regions_and_roles_and_runs_once() -> None:
    first = demo_surveys_seed()
    second = demo_surveys_seed()

    assert first == DEMO_RESPONSES
    assert set(second.values()) == {0}
    assert Response.objects.count() == sum(DEMO_RESPONSES.values())
    languages = set(Response.objects.values_list("language", flat=True))
    assert languages == {"en", "es"}
    spanish = Response.objects.filter(language="es").count() / Response.objects.count()
    assert 0.25 < spanish < 0.42
    region_codes = {region.code for region in regions()}
    assert set(Response.objects.values_list("region", flat=True)) <= region_codes
    assert set(Response.objects.values_list("role", flat=True)) <= set(Role.values)
    assert set(Attachment.objects.values_list("subject_kind", "subject_ref")) == {
        ("course", "demo-course-1"),
        ("course", "demo-course-2"),
        ("course", "demo-course-3"),
        ("event", "demo-event-1"),
        ("event", "demo-event-2"),
    }
    assert Response.objects.filter(subject_kind="course").count() == 150
