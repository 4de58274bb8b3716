# ruff: noqa: F811 (the fixtures are imported from cohort_support)
"""The cohort builder's pages: the definition round-trips through the server, each change
answers with the builder and the live count (htmx) or the whole page (no JavaScript), saved
cohorts, and the bad input the issue lists: another researcher's workspace, access that ends
mid-session, malformed and enormous definitions, thousands of OR items."""

import json
import re
from typing import Any

import pytest
from django.conf import settings

from tapestry.research.models import (
    CountLedgerEntry,
    Release,
    ResearchLogEntry,
    SavedCohort,
)
from tapestry.research.tests.cohort_support import (  # noqa: F401
    access_withdraw,
    client_for,
    cohort_built,
    cohort_release,
    researcher_make,
    workspace_make,
)
from tapestry.research.warehouse.cohort_definition import definition_parse

TYPE_2_DIABETES = 201826
HBA1C = 3004410
AGE_40_64 = {"domain": "demographic", "field": "age", "min": 40, "max": 64}
EMPTY = {"version": 1, "include": [], "exclude": []}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def researcher(cohort_release: Release) -> Any:
    return researcher_make()


@pytest.fixture
def workspace(researcher: Any) -> Any:
    return workspace_make(researcher)


def new_url(workspace: Any) -> str:
    return f"/research/workspaces/{workspace.public_id}/cohorts/new/"


def post(
    client: Any, url: str, definition: Any, action: str, htmx: bool = True, **fields: Any
) -> Any:
    data = {
        "definition": definition if isinstance(definition, str) else json.dumps(definition),
        "action": action,
        **fields,
    }
    return client.post(url, data, headers=HTMX if htmx else {})


def hidden_definition(response: Any) -> dict[str, Any]:
    match = re.search(r'name="definition" value="([^"]*)"', response.content.decode())
    assert match is not None
    text = match.group(1).replace("&quot;", '"').replace("&amp;", "&")
    return json.loads(text)


def shown_count(response: Any) -> str:
    match = re.search(r'data-count="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def test_the_new_cohort_page_counts_everyone(researcher: Any, workspace: Any) -> None:
    response = client_for(researcher).get(new_url(workspace))

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert hidden_definition(response) == EMPTY
    assert shown_count(response) not in ("", "≤ 20")
    assert "Make-up across the UBR categories" in response.content.decode()


def test_adding_the_issues_cohort_with_htmx_changes_the_count(
    researcher: Any, workspace: Any
) -> None:
    client = client_for(researcher)
    url = new_url(workspace)
    everyone = shown_count(client.get(url))

    step1 = post(
        client,
        url,
        EMPTY,
        "add",
        item_kind="age",
        item_group="include:new",
        item_demo_age_min="40",
        item_demo_age_max="64",
    )
    assert step1.status_code == 200
    assert "<html" not in step1.content.decode()  # the builder only
    assert hidden_definition(step1)["include"] == [{"items": [AGE_40_64]}]
    step2 = post(
        client,
        url,
        hidden_definition(step1),
        "add",
        item_kind="condition",
        item_group="include:new",
        item_concept=str(TYPE_2_DIABETES),
        item_descendants="on",
    )
    step3 = post(
        client,
        url,
        hidden_definition(step2),
        "add",
        item_kind="measurement",
        item_group="include:new",
        item_concept=str(HBA1C),
        item_descendants="on",
        item_value_low="6.5",
        item_value_low_strict="on",
        item_relation="within",
        item_days="365",
        item_anchor="include:1:0",
    )

    assert step3.status_code == 200, step3.content.decode()[:2000]
    definition = hidden_definition(step3)
    assert definition["include"][2] == {
        "items": [
            {
                "domain": "measurement",
                "concept_id": HBA1C,
                "descendants": True,
                "value": {"above": 6.5},
                "temporal": {
                    "relation": "within",
                    "days": 365,
                    "anchor": {
                        "domain": "condition",
                        "concept_id": TYPE_2_DIABETES,
                        "descendants": True,
                    },
                },
            }
        ]
    }
    assert shown_count(step3) != everyone
    assert "within 365 days of" in step3.content.decode()
    assert (
        ResearchLogEntry.objects.filter(
            user=researcher, action=ResearchLogEntry.Action.COHORT_COUNT
        ).count()
        == 4
    )


def test_without_javascript_the_whole_page_comes_back(researcher: Any, workspace: Any) -> None:
    response = post(
        client_for(researcher),
        new_url(workspace),
        EMPTY,
        "add",
        htmx=False,
        item_kind="sex",
        item_group="exclude:new",
        item_values=["male"],
    )

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert hidden_definition(response)["exclude"] == [
        {"items": [{"domain": "demographic", "field": "sex", "values": ["male"]}]}
    ]


def test_removing_the_last_item_of_a_group_removes_the_group(
    researcher: Any, workspace: Any
) -> None:
    definition = {"version": 1, "include": [{"items": [AGE_40_64]}], "exclude": []}

    response = post(client_for(researcher), new_url(workspace), definition, "remove:include:0:0")

    assert response.status_code == 200
    assert hidden_definition(response) == EMPTY


def test_the_concept_search_shows_the_spanish_name_in_spanish(
    researcher: Any, workspace: Any
) -> None:
    client = client_for(researcher)
    english = post(
        client, new_url(workspace), EMPTY, "search", item_kind="condition", item_search="diabetes"
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = post(
        client, new_url(workspace), EMPTY, "search", item_kind="condition", item_search="diabetes"
    )

    assert english.status_code == spanish.status_code == 200
    assert f'value="{TYPE_2_DIABETES}"' in english.content.decode()
    assert 'lang="es">Diabetes' in spanish.content.decode()
    assert not CountLedgerEntry.objects.filter(user=researcher).exists()  # a search counts nothing


def test_an_incomplete_item_is_refused_next_to_its_field_and_changes_nothing(
    researcher: Any, workspace: Any
) -> None:
    response = post(client_for(researcher), new_url(workspace), EMPTY, "add", item_kind="condition")

    assert response.status_code == 400
    assert "Search for a concept and choose one." in response.content.decode()
    assert hidden_definition(response) == EMPTY


def test_an_unknown_concept_is_shown_next_to_its_item(researcher: Any, workspace: Any) -> None:
    definition = {
        "version": 1,
        "include": [{"items": [{"domain": "condition", "concept_id": 999_999_999}]}],
        "exclude": [],
    }

    response = post(client_for(researcher), new_url(workspace), definition, "count")

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="item-include0-0"' in body or 'id="item-include00"' in body
    assert "is not in this data release" in body
    assert not CountLedgerEntry.objects.filter(user=researcher).exists()


@pytest.mark.parametrize(
    "definition",
    [
        "{not json",
        json.dumps({"version": 2}),
        json.dumps({"version": 1, "include": [{"items": []}]}),
        json.dumps([1, 2, 3]),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"version": 1, "include": [{"items": [AGE_40_64] * 5000}]}),
        json.dumps({"version": 1, "include": [{"items": [AGE_40_64]}], "x": "y" * 70_000}),
    ],
    ids=["not-json", "version", "empty-group", "list", "deep", "thousands-of-or", "enormous"],
)
def test_malformed_or_enormous_definitions_are_a_400(
    researcher: Any, workspace: Any, definition: str
) -> None:
    response = post(client_for(researcher), new_url(workspace), definition, "count")

    assert response.status_code == 400
    assert "The cohort definition" in response.content.decode()
    assert not CountLedgerEntry.objects.exists()
    assert not SavedCohort.objects.exists()


def test_saving_renaming_and_deleting_a_cohort(researcher: Any, workspace: Any) -> None:
    client = client_for(researcher)
    definition = {"version": 1, "include": [{"items": [AGE_40_64]}], "exclude": []}

    saved = post(client, new_url(workspace), definition, "save", name="  Middle   age ")

    cohort = SavedCohort.objects.get(workspace=workspace)
    assert saved.status_code == 204
    assert saved["HX-Redirect"] == (
        f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/?saved=1"
    )
    assert cohort.name == "Middle age"
    assert definition_parse(cohort.definition) == definition_parse(definition)
    page = client.get(f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/?saved=1")
    assert page.status_code == 200
    assert hidden_definition(page) == definition
    assert "The cohort is saved." in page.content.decode()

    renamed = client.post(
        f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/rename/",
        {"name": "Adults 40 to 64"},
    )
    assert renamed.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Adults 40 to 64"

    deleted = client.post(f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/delete/")
    assert deleted.status_code == 302
    assert not SavedCohort.objects.exists()
    assert list(
        ResearchLogEntry.objects.filter(
            user=researcher, action=ResearchLogEntry.Action.COHORT_SAVED
        ).values_list("summary", flat=True)
    ) == [
        "Deleted cohort “Adults 40 to 64”",
        "Renamed cohort “Middle age” to “Adults 40 to 64”",
        "Saved cohort “Middle age”",
    ]


def test_a_name_the_workspace_already_uses_is_refused(researcher: Any, workspace: Any) -> None:
    client = client_for(researcher)
    post(client, new_url(workspace), EMPTY, "save", name="Everyone")

    again = post(client, new_url(workspace), EMPTY, "save", name="Everyone")

    assert again.status_code == 400
    assert "This workspace already has a cohort of that name." in again.content.decode()
    assert SavedCohort.objects.count() == 1


def test_another_researchers_workspace_is_not_found(cohort_release: Release) -> None:
    owner, other = researcher_make(), researcher_make()
    workspace = workspace_make(owner)
    client = client_for(other)
    post(client_for(owner), new_url(workspace), EMPTY, "save", name="Theirs")
    cohort = SavedCohort.objects.get()

    pages = [
        client.get(new_url(workspace)),
        post(client, new_url(workspace), EMPTY, "save", name="Mine"),
        client.get(f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/"),
        client.post(
            f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/rename/",
            {"name": "Stolen"},
        ),
        client.post(f"/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/delete/"),
    ]

    assert [page.status_code for page in pages] == [404] * 5
    assert list(SavedCohort.objects.values_list("name", flat=True)) == ["Theirs"]


def test_a_cohort_of_another_workspace_is_not_found(researcher: Any, workspace: Any) -> None:
    client = client_for(researcher)
    post(client, new_url(workspace), EMPTY, "save", name="Here")
    cohort = SavedCohort.objects.get()
    second = workspace_make(researcher, name="Second project")

    response = client.get(f"/research/workspaces/{second.public_id}/cohorts/{cohort.pk}/")

    assert response.status_code == 404


def test_access_that_ends_mid_session_redirects_and_saves_nothing(
    researcher: Any, workspace: Any
) -> None:
    client = client_for(researcher)
    assert client.get(new_url(workspace)).status_code == 200
    entries = CountLedgerEntry.objects.count()
    access_withdraw(researcher)

    response = post(client, new_url(workspace), EMPTY, "save", name="Too late")

    assert response.status_code == 302
    assert response["Location"] == "/research/access/"
    assert not SavedCohort.objects.exists()
    assert CountLedgerEntry.objects.count() == entries


def test_the_workspace_lists_its_cohorts(researcher: Any, workspace: Any) -> None:
    from django.template.loader import render_to_string

    post(client_for(researcher), new_url(workspace), EMPTY, "save", name="Everyone")

    html = render_to_string("research/workbench/_workspace_cohorts.html", {"workspace": workspace})

    cohort = SavedCohort.objects.get()
    assert f'href="/research/workspaces/{workspace.public_id}/cohorts/{cohort.pk}/"' in html
    assert "Everyone" in html
    assert f'href="{new_url(workspace)}"' in html


ISSUE_COHORT = {
    "version": 1,
    "include": [
        {"items": [{"domain": "condition", "concept_id": TYPE_2_DIABETES, "descendants": True}]},
        {
            "items": [
                {
                    "domain": "measurement",
                    "concept_id": HBA1C,
                    "descendants": True,
                    "value": {"above": 6.5},
                    "temporal": {
                        "relation": "within",
                        "days": 365,
                        "anchor": {
                            "domain": "condition",
                            "concept_id": TYPE_2_DIABETES,
                            "descendants": True,
                        },
                    },
                }
            ]
        },
    ],
    "exclude": [],
}


def test_a_cohort_exported_as_circe_imports_back_the_same(researcher: Any, workspace: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(researcher)
    base = f"/research/workspaces/{workspace.public_id}/cohorts"

    exported = client.post(f"{base}/export/", {"definition": json.dumps(ISSUE_COHORT)})

    assert exported.status_code == 200
    assert exported["Content-Disposition"] == 'attachment; filename="cohort-circe.json"'
    document = json.loads(exported.content)
    assert document["ConceptSets"][0]["expression"]["items"][0]["concept"]["CONCEPT_ID"] in (
        TYPE_2_DIABETES,
        HBA1C,
    )
    imported = client.post(
        f"{base}/import/",
        {"circe": SimpleUploadedFile("cohort.json", exported.content, "application/json")},
    )
    assert imported.status_code == 200
    assert definition_parse(hidden_definition(imported)) == definition_parse(ISSUE_COHORT)
    assert f'action="{base}/new/"' in imported.content.decode()
    assert list(
        ResearchLogEntry.objects.filter(
            user=researcher, action=ResearchLogEntry.Action.COHORT_IMPORT
        ).values_list("data__direction", flat=True)
    ) == ["import", "export"]


def test_circe_the_builder_cannot_express_is_refused_by_name(
    researcher: Any, workspace: Any
) -> None:
    client = client_for(researcher)
    base = f"/research/workspaces/{workspace.public_id}/cohorts"
    visits = {
        "ConceptSets": [],
        "PrimaryCriteria": {
            "CriteriaList": [{"VisitOccurrence": {}}],
            "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
            "PrimaryCriteriaLimit": {"Type": "First"},
        },
    }

    imported = client.post(f"{base}/import/", {"circe_text": json.dumps(visits)})
    exported = client.post(f"{base}/export/", {"definition": json.dumps(EMPTY)})
    nothing = client.post(f"{base}/import/", {})

    assert imported.status_code == 400
    assert "This Circe cohort cannot be imported:" in imported.content.decode()
    assert "VisitOccurrence" in imported.content.decode()
    assert exported.status_code == 400
    assert "This cohort cannot be written as Circe JSON:" in exported.content.decode()
    assert nothing.status_code == 400
    assert "Choose a Circe JSON file, or paste its text." in nothing.content.decode()
    assert not ResearchLogEntry.objects.filter(
        action=ResearchLogEntry.Action.COHORT_IMPORT
    ).exists()


def test_survey_answers_and_ubr_categories_are_added_with_their_labels(
    researcher: Any, workspace: Any
) -> None:
    client = client_for(researcher)
    url = new_url(workspace)
    question = post(client, url, EMPTY, "refresh", item_kind="survey")
    assert question.status_code == 200
    assert 'name="item_question"' in question.content.decode()
    assert not CountLedgerEntry.objects.filter(user=researcher).exists()  # choosing counts nothing

    survey = post(
        client,
        url,
        EMPTY,
        "add",
        item_kind="survey",
        item_group="include:new",
        item_question="annual_income",
        item_answers=["income_less_10k", "income_10k_25k"],
    )
    ubr = post(
        client,
        url,
        hidden_definition(survey),
        "add",
        item_kind="ubr",
        item_group="include:0",
        item_values=["rural", "income"],
    )

    assert ubr.status_code == 200
    assert hidden_definition(ubr)["include"] == [
        {
            "items": [
                {
                    "domain": "survey",
                    "question": "annual_income",
                    "answers": ["income_less_10k", "income_10k_25k"],
                },
                {"domain": "demographic", "field": "ubr", "values": ["rural", "income"]},
            ]
        }
    ]
    body = ubr.content.decode()
    assert "Rural residence, Household income below 200% of the poverty level" in body
    assert "Survey answer: " in body


def test_a_cohort_id_past_any_column_is_not_found(researcher: Any, workspace: Any) -> None:
    client = client_for(researcher)
    base = f"/research/workspaces/{workspace.public_id}/cohorts/{2**70}"

    pages = [
        client.get(f"{base}/"),
        client.post(f"{base}/rename/", {"name": "x"}),
        client.post(f"{base}/delete/"),
    ]

    assert [page.status_code for page in pages] == [404, 404, 404]
