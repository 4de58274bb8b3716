"""The survey explorer: every survey question of a real small release, its answers protected,
in English and Spanish, as pages and as JSON."""

import itertools
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.research import charts, selectors
from tapestry.research.models import Release, SurveyQuestionSummary
from tapestry.research.privacy import PublicCount, protect_choices, public_count
from tapestry.research.services import release_create
from tapestry.research.warehouse import schema, vocabulary
from tapestry.research.warehouse.datafiles import csv_rows
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

PARTICIPANTS = 400  # seed 3: nobody answers "Another term not listed" for gender identity


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=3)
    return out


@pytest.fixture
def release(generated: Path, settings: Settings, tmp_path: Path) -> Release:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return release_create(source=generated, version="R-surveys")


def _rows(html: str) -> list[list[str]]:
    """Each body row of the answers table as its header and data cells' text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def _percent(text: str) -> float | None:
    return None if text == "—" else float(text.rstrip("%").replace(",", ""))


# The release


def test_the_release_stores_every_survey_question_with_every_answer_option(
    release: Release,
) -> None:
    rows = {row.question_code: row for row in SurveyQuestionSummary.objects.filter(release=release)}

    assert list(rows) == list(schema.SURVEY)
    for code, row in rows.items():
        listed = [answer["code"] for answer in row.answers]
        assert listed == [*schema.SURVEY[code], schema.SKIP, schema.PREFER_NOT]
        assert row.participants == PARTICIPANTS  # everyone answers, skipping included
    one_answer = [row for row in rows.values() if not row.several_answers]
    assert all(sum(a["participants"] for a in row.answers) == PARTICIPANTS for row in one_answer)
    race = rows["race_ethnicity"]
    assert race.several_answers
    assert sum(answer["participants"] for answer in race.answers) > PARTICIPANTS
    assert [row.survey for row in rows.values()].count("health_care_access") == 7
    assert rows["sex_at_birth"].name_es == "¿Cuál fue el sexo que se le asignó al nacer?"


def test_every_survey_concept_has_a_spanish_name() -> None:
    spanish = vocabulary.spanish_names()

    missing = [
        code for code, concept_id in schema.SURVEY_CONCEPT_IDS.items() if concept_id not in spanish
    ]

    assert missing == []
    assert all(
        row.text("language") == "es"
        for row in csv_rows("survey.csv", directory=vocabulary.SYNONYM_DIR)
    )


# The pages


def test_the_survey_page_lists_every_question_under_its_survey(
    visitor: Client, release: Release
) -> None:
    response = visitor.get("/data/surveys/")

    assert response.status_code == 200
    for code in schema.SURVEY:
        assert f'href="/data/surveys/{code}/"' in response.text
    assert [section.code for section in response.context["sections"]] == [
        "consent",
        "the_basics",
        "health_care_access",
    ]
    assert "The Basics" in response.text and "Health Care Access &amp; Utilization" in response.text
    assert "400" in response.text  # every question's total, rounded (400 is a multiple of 20)
    assert 'href="/data/surveys/"' in visitor.get("/data/").text


def test_a_question_lists_every_answer_protected_with_zero_shown_as_small(
    visitor: Client, release: Release
) -> None:
    response = visitor.get("/data/surveys/gender_identity/")

    assert response.status_code == 200
    rows = _rows(response.text)
    assert [row[0] for row in rows] == [
        "Man",
        "Woman",
        "Non-binary",
        "Transgender",
        "Another term not listed",
        "Skipped the question",
        "Prefer not to answer",
    ]
    # True counts 144, 236, 8, 1, 0, 2, 9: rounded up, and nothing 0-20 gets a number or a share.
    assert [row[1] for row in rows] == ["160", "240", "≤ 20", "≤ 20", "≤ 20", "≤ 20", "≤ 20"]
    assert [row[2] for row in rows] == ["40.0%", "60.0%", "—", "—", "—", "—", "—"]
    assert (
        "Counts of 20 or fewer (including none) and suppressed counts get no percentage."
        in response.text
    )
    # Solid bars only for the two counts shown as numbers; the five "≤ 20" are outlines to 20.
    assert response.text.count('fill="#005ea2"></rect>') == 2
    assert response.text.count('stroke-dasharray="4 3"') == 5


def test_percentages_never_add_up_to_more_than_100_and_hidden_cells_have_none(
    release: Release,
) -> None:
    for code in schema.SURVEY:
        page = selectors.survey_question(release=release, code=code)
        assert page is not None
        shares = [answer.percentage for answer in page.answers]
        for answer in page.answers:
            assert (answer.percentage is None) == (answer.count.hidden or answer.count.suppressed)
        assert all(share <= 100 for share in shares if share is not None)
        if not page.question.several_answers:
            assert sum(share for share in shares if share is not None) <= 100.1, code


def test_a_question_answered_by_20_or_fewer_describes_no_answer(
    visitor: Client, release: Release
) -> None:
    # Given a question only 15 participants answered
    row = SurveyQuestionSummary.objects.get(release=release, question_code="disability_blind")
    row.participants = 15
    row.answers = [{**answer, "participants": 0} for answer in row.answers]
    row.answers[0]["participants"], row.answers[1]["participants"] = 3, 12
    row.save(update_fields=["participants", "answers"])

    page = visitor.get("/data/surveys/disability_blind/")
    api = visitor.get("/api/v1/public/surveys/disability_blind").json()

    assert page.status_code == 200
    assert "20 or fewer participants answered this question" in page.text
    assert "<tbody>" not in page.text and "<rect " not in page.text
    assert (api["breakdown_hidden"], api["answers"]) == (True, [])
    assert api["participants"] == {"count": 20, "display": "≤ 20", "suppressed": False}


def test_the_spanish_page_shows_the_questions_and_answers_in_spanish(
    visitor: Client, release: Release
) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    index = visitor.get("/data/surveys/")
    question = visitor.get("/data/surveys/sex_at_birth/")

    assert "Lo básico" in index.text and "Acceso a la atención médica y su uso" in index.text
    assert "¿Tiene seguro médico u otro tipo de plan de atención médica?" in index.text
    assert (
        '<h1 class="margin-top-1" lang="es">¿Cuál fue el sexo que se le asignó al nacer?</h1>'
        in question.text
    )
    assert [row[0] for row in _rows(question.text)] == [
        "Masculino",
        "Femenino",
        "Intersexual",
        "Ninguna de estas opciones me describe",
        "Omitió la pregunta",
        "Prefiero no responder",
    ]
    assert "What was your biological sex" not in question.text


def test_an_unknown_question_is_not_found(visitor: Client, release: Release) -> None:
    assert visitor.get("/data/surveys/no_such_question/").status_code == 404
    assert visitor.get("/data/surveys/" + "a" * 200 + "/").status_code == 404


# The API


def test_the_api_lists_the_surveys_and_their_questions(visitor: Client, release: Release) -> None:
    response = visitor.get("/api/v1/public/surveys")

    assert response.status_code == 200
    body = response.json()
    assert [survey["code"] for survey in body["surveys"]] == [
        "consent",
        "the_basics",
        "health_care_access",
    ]
    questions = [question for survey in body["surveys"] for question in survey["questions"]]
    assert [question["code"] for question in questions] == list(schema.SURVEY)
    race = questions[1]
    assert race == {
        "code": "race_ethnicity",
        "concept_id": schema.SURVEY_CONCEPT_IDS["race_ethnicity"],
        "name": "Which categories describe you? Select all that apply.",
        "name_es": "¿Qué categorías lo describen a usted? Seleccione todas las que correspondan.",
        "text": "Which categories describe you? Select all that apply.",
        "several_answers": True,
        "participants": {"count": 400, "display": "400", "suppressed": False},
        "url": "http://testserver/data/surveys/race_ethnicity/",
    }


def test_the_api_gives_a_select_all_question_with_its_answers(
    visitor: Client, release: Release
) -> None:
    response = visitor.get("/api/v1/public/surveys/race_ethnicity")

    assert response.status_code == 200
    body = response.json()
    assert body["breakdown_hidden"] is False
    assert "add up to more than 100%" in body["percentages"]
    answers = {answer["code"]: answer for answer in body["answers"]}
    assert list(answers) == [*schema.SURVEY["race_ethnicity"], schema.SKIP, schema.PREFER_NOT]
    # True counts: White 235, Black 97, Hispanic 92 (a person may choose several)
    assert [
        answers[code]["count"]["count"] for code in ("race_white", "race_black", "race_hispanic")
    ] == [240, 100, 100]
    assert answers["race_white"]["percentage"] == 60.0
    assert answers["race_mena"] == {
        "code": "race_mena",
        "concept_id": schema.SURVEY_CONCEPT_IDS["race_mena"],
        "name": "Middle Eastern or North African",
        "name_es": "Del Medio Oriente o del norte de África",
        "text": "Middle Eastern or North African",
        "count": {"count": 20, "display": "≤ 20", "suppressed": False},
        "percentage": None,
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/public/surveys/no_such_question", 404),
        ("/api/v1/public/surveys/Not%20a%20code", 400),
    ],
)
def test_the_api_refuses_unknown_and_malformed_questions(
    visitor: Client, release: Release, path: str, status: int
) -> None:
    assert visitor.get(path).status_code == status


def test_before_the_first_release_the_survey_api_says_so(visitor: Client) -> None:
    responses = [
        visitor.get("/api/v1/public/surveys"),
        visitor.get("/api/v1/public/surveys/education"),
    ]

    assert [response.status_code for response in responses] == [503, 503]
    assert visitor.get("/data/surveys/").status_code == 200


# The protection of "select all that apply" answers, attacked exactly


def _attack_choices(
    total: PublicCount, choices: list[PublicCount], exclusive: list[PublicCount]
) -> list[set[int]]:
    """Every value each published cell could take: the cells within their published
    intervals (a suppressed one from 0 to the total's upper bound), each at most the total,
    and total = exclusive cells + R with max(choices) <= R <= sum(choices)."""
    low, high = total.bounds()
    assert high is not None
    ranges = []
    for count in [*choices, *exclusive]:
        cell_low, cell_high = count.bounds(suppressed_upper=high)
        assert cell_high is not None
        ranges.append(range(cell_low, cell_high + 1))
    possible: list[set[int]] = [set() for _ in ranges]
    split = len(choices)
    for values in itertools.product(*ranges):
        chosen, others = values[:split], values[split:]
        least = sum(others) + max(chosen)
        most = min(high, sum(others) + sum(chosen))
        if max(low, least, max(values)) <= most:
            for index, value in enumerate(values):
                possible[index].add(value)
    return possible


@pytest.mark.parametrize(
    ("choices", "exclusive", "total"),
    [
        ((40, 38, 3), (2,), 79),  # nearly everyone chose one answer; a small other
        ((58, 2, 1), (1,), 60),  # a small skip pinned by a large answer near the total
        ((21, 21, 15), (5,), 41),  # the rounded choices barely cover the total
        ((30, 12, 12), (19,), 60),
    ],
)
def test_no_hidden_count_of_a_select_all_question_can_be_narrowed(
    choices: tuple[int, ...], exclusive: tuple[int, ...], total: int
) -> None:
    public_total, shown = protect_choices(
        {f"choice{i}": n for i, n in enumerate(choices)},
        {f"exclusive{i}": n for i, n in enumerate(exclusive)},
        total,
    )
    published = list(shown.values())

    possible = _attack_choices(public_total, published[: len(choices)], published[len(choices) :])

    for true, values in zip([*choices, *exclusive], possible, strict=True):
        assert true in values
        if 1 <= true <= 20:
            assert {1, 20} <= values


def test_the_attack_narrows_a_skip_when_nothing_is_suppressed() -> None:
    # 58 chose one answer, 2 and 1 others, 1 skipped, of 60: rounded on their own, the skip
    # can be at most 60 - 41, so it is narrowed below 20 (protect_choices suppresses the 58).
    possible = _attack_choices(
        public_count(60), [public_count(58), public_count(2), public_count(1)], [public_count(1)]
    )

    assert max(possible[3]) == 19


def test_the_answer_chart_wraps_long_wording_and_draws_no_small_count_as_twenty() -> None:
    chart = charts.category_chart(
        [
            ("Título de posgrado (maestría, doctorado o título profesional)", "100", 100, False),
            ("Nunca fue a la escuela o solo fue al kínder", "≤ 20", 20, True),
            ("Prefiere no responder", "Suprimido", None, False),
        ]
    )

    assert [len(bar.label_lines) for bar in chart.bars] == [2, 2, 1]
    assert all(len(text) <= 40 for bar in chart.bars for _y, text in bar.label_lines)
    first, second, third = chart.bars
    assert first.width == chart.frame.plot_width  # the longest bar fills the axis
    assert second.hidden and second.text == "≤ 20"  # drawn as an outline, not a bar of 20
    assert third.suppressed and third.width == 0
    # Each label sits below the previous bar: nothing overlaps.
    assert second.label_lines[0][0] > first.y + chart.bar_height
