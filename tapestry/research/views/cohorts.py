"""The cohort builder: include and exclude groups of criteria, a live count and the cohort's
make-up, saved cohorts in a workspace.

The definition (warehouse/cohort_definition.py JSON) travels in a hidden field: every change
is a POST that the server applies to the parsed definition and answers with the builder
re-rendered from it and the new count (htmx swaps the builder; without JavaScript the whole
page comes back). Nothing of the definition is kept on the server until it is saved.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.research import labels, selectors, services
from tapestry.research.models import Release, SavedCohort, Workspace
from tapestry.research.permissions import workbench_required, workspace_for
from tapestry.research.warehouse.circe import circe_export, circe_import
from tapestry.research.warehouse.cohort_definition import (
    EVENT_DOMAINS,
    CohortDefinition,
    DefinitionError,
    DemographicCriterion,
    EventCriterion,
    SurveyCriterion,
    criterion_dump,
    definition_dump,
    definition_parse,
)

DEFINITION_MAX_BYTES = 64 * 1024  # the same limit as the count API's body
SEARCH_HITS = 10

EVENT_KIND_LABELS = {
    "condition": gettext_lazy("Condition"),
    "drug": gettext_lazy("Drug"),
    "measurement": gettext_lazy("Measurement"),
    "procedure": gettext_lazy("Procedure"),
    "observation": gettext_lazy("Observation"),
}
KIND_LABELS = {
    **EVENT_KIND_LABELS,
    "survey": gettext_lazy("Survey answer"),
    "age": gettext_lazy("Age at consent"),
    "sex": gettext_lazy("Sex at birth"),
    "race": gettext_lazy("Race"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "ubr": gettext_lazy("Underrepresented in biomedical research (UBR) category"),
}
ETHNICITY_LABELS = {
    "hispanic_latino": gettext_lazy("Hispanic or Latino"),
    "not_hispanic_latino": gettext_lazy("Not Hispanic or Latino"),
    "not_answered": gettext_lazy("Skipped or unknown"),
}
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "sex": labels.SEX_LABELS,
    "race": labels.RACE_LABELS,
    "ethnicity": ETHNICITY_LABELS,
    "ubr": labels.CATEGORY_LABELS,
}
RELATION_LABELS = {
    "within": gettext_lazy("within N days of it (before or after)"),
    "before": gettext_lazy("up to N days before it"),
    "after": gettext_lazy("up to N days after it"),
}
SIDES = ("include", "exclude")
_PATH = re.compile(r"^(include|exclude)\[(\d+)\](?:\.items\[(\d+)\])?")
_ITEM_REF = re.compile(r"^(include|exclude):(\d{1,3}):(\d{1,3})$")


class BadDefinition(Exception):
    """The hidden definition cannot be read: tampered with, or too big."""


class ItemInvalid(Exception):
    """The item being added is not complete or not valid; `field` is the input to mark."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- reading the request -------------------------------------------------------------------


def _definition_from(raw: str) -> dict[str, Any]:
    """The hidden field, parsed and checked; BadDefinition when it is not a definition."""
    if len(raw.encode()) > DEFINITION_MAX_BYTES:
        raise BadDefinition(_("The cohort definition is too large (at most 64 KB)."))
    try:
        data = json.loads(raw) if raw.strip() else {"version": 1}
        return definition_dump(definition_parse(data))
    except (ValueError, RecursionError) as error:
        message = error.args[0] if isinstance(error, DefinitionError) else str(error)[:200]
        raise BadDefinition(
            _("The cohort definition cannot be read: %(error)s") % {"error": message}
        ) from None


def _number(post: Any, name: str, *, whole: bool = True) -> float | int | None:
    text = (post.get(name) or "").strip()
    if not text:
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise ItemInvalid(
            name, _("Enter a number.") if not whole else _("Enter a whole number.")
        ) from None
    if not whole and value != value:  # NaN
        raise ItemInvalid(name, _("Enter a number."))
    return value


def _date(post: Any, name: str) -> str | None:
    text = (post.get(name) or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ItemInvalid(name, _("Enter a date as YYYY-MM-DD.")) from None


def _range(post: Any, low: str, high: str) -> dict[str, int] | None:
    bounds = {key: _number(post, name) for key, name in (("min", low), ("max", high))}
    bounds = {key: value for key, value in bounds.items() if value is not None}
    return bounds or None  # type: ignore[return-value]


def _item_ref(text: str, data: dict[str, Any]) -> dict[str, Any] | None:
    match = _ITEM_REF.match(text or "")
    if match is None:
        return None
    side, group, item = match.group(1), int(match.group(2)), int(match.group(3))
    try:
        return data[side][group]["items"][item]
    except (IndexError, KeyError):
        return None


def item_from_post(post: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The criterion the "add" form describes, as definition JSON; ItemInvalid if it is not
    complete. (definition_parse then checks it as part of the whole.)"""
    kind = post.get("item_kind", "")
    if kind in EVENT_DOMAINS:
        concept = _number(post, "item_concept")
        if concept is None:
            concept = _number(post, "item_concept_id")
        if concept is None:
            raise ItemInvalid("item_concept", _("Search for a concept and choose one."))
        item: dict[str, Any] = {
            "domain": kind,
            "concept_id": concept,
            "descendants": post.get("item_descendants") == "on",
        }
        if kind == "measurement":
            value: dict[str, float] = {}
            for name, inclusive, exclusive in (
                ("item_value_low", "min", "above"),
                ("item_value_high", "max", "below"),
            ):
                bound = _number(post, name, whole=False)
                if bound is not None:
                    strict = post.get(f"{name}_strict") == "on"
                    value[exclusive if strict else inclusive] = bound
            if value:
                item["value"] = value
        age = _range(post, "item_age_min", "item_age_max")
        if age:
            item["age_at_event"] = age
        occurrences = _number(post, "item_occurrences")
        if occurrences is not None and occurrences != 1:
            item["occurrences"] = {"min": occurrences}
        dates = {
            key: value
            for key, value in (
                ("from", _date(post, "item_date_from")),
                ("to", _date(post, "item_date_to")),
            )
            if value is not None
        }
        if dates:
            item["event_date"] = dates
        relation = post.get("item_relation", "")
        if relation:
            anchor = _item_ref(post.get("item_anchor", ""), data)
            if anchor is None or anchor.get("domain") not in EVENT_DOMAINS:
                raise ItemInvalid("item_anchor", _("Choose the event it is related to."))
            days = _number(post, "item_days")
            if days is None:
                raise ItemInvalid("item_days", _("Enter the number of days."))
            anchor = {key: value for key, value in anchor.items() if key != "temporal"}
            item["temporal"] = {"relation": relation, "days": days, "anchor": anchor}
            if post.get("item_anchor_first") == "on":
                item["temporal"]["anchor_occurrence"] = "first"
        return item
    if kind == "survey":
        question = post.get("item_question", "")
        answers = post.getlist("item_answers")
        if not question:
            raise ItemInvalid("item_question", _("Choose a question."))
        if not answers:
            raise ItemInvalid("item_answers", _("Choose at least one answer."))
        return {"domain": "survey", "question": question, "answers": answers}
    if kind == "age":
        age = _range(post, "item_demo_age_min", "item_demo_age_max")
        if not age:
            raise ItemInvalid("item_demo_age_min", _("Enter a lowest age, a highest age or both."))
        return {"domain": "demographic", "field": "age", **age}
    if kind in VALUE_LABELS:
        values = post.getlist("item_values")
        if not values:
            raise ItemInvalid("item_values", _("Choose at least one."))
        return {"domain": "demographic", "field": kind, "values": values}
    raise ItemInvalid("item_kind", _("Choose what to add."))


def _apply(action: str, post: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The definition after `action`: "add", "remove:<side>:<group>:<item>"."""
    data = json.loads(json.dumps(data))
    if action == "add":
        item = item_from_post(post, data)
        target = post.get("item_group", "include:new")
        side, _sep, where = target.partition(":")
        if side not in SIDES:
            raise ItemInvalid("item_group", _("Choose a group."))
        groups = data.setdefault(side, [])
        if where == "new":
            groups.append({"items": [item]})
        elif where.isdigit() and int(where) < len(groups):
            groups[int(where)]["items"].append(item)
        else:
            raise ItemInvalid("item_group", _("Choose a group."))
        return data
    if action.startswith("remove:"):
        match = _ITEM_REF.match(action.removeprefix("remove:"))
        if match is not None:
            side, group, index = match.group(1), int(match.group(2)), int(match.group(3))
            groups = data.get(side, [])
            if group < len(groups) and index < len(groups[group]["items"]):
                del groups[group]["items"][index]
                if not groups[group]["items"]:
                    del groups[group]
        return data
    return data


# --- showing the definition ------------------------------------------------------------------


@dataclass
class ItemView:
    ref: str  # "include:0:1"
    kind: str
    text: str
    error: str = ""


@dataclass
class GroupView:
    side: str
    index: int
    items: list[ItemView] = field(default_factory=list)
    error: str = ""


def _concept_text(concept_id: int, names: dict[int, selectors.ConceptHit]) -> str:
    hit = names.get(concept_id)
    if hit is None:
        return _("concept %(id)s") % {"id": concept_id}
    return f"{hit.local_name(get_language() or '')} ({concept_id})"


def _bounds_text(
    low: Any, high: Any, *, low_strict: bool = False, high_strict: bool = False
) -> str:
    parts = []
    if low is not None:
        parts.append((_("above %(n)s") if low_strict else _("at least %(n)s")) % {"n": f"{low:g}"})
    if high is not None:
        parts.append((_("below %(n)s") if high_strict else _("at most %(n)s")) % {"n": f"{high:g}"})
    return (
        " ".join(parts)
        if len(parts) == 1
        else _("%(low)s and %(high)s")
        % {
            "low": parts[0],
            "high": parts[1],
        }
    )


def _event_text(item: EventCriterion, names: dict[int, selectors.ConceptHit]) -> str:
    text = f"{EVENT_KIND_LABELS[item.domain]}: {_concept_text(item.concept_id, names)}"
    parts = [text]
    parts.append(_("with its descendants") if item.descendants else _("this concept only"))
    if item.excluded:
        parts.append(
            _("not %(concepts)s")
            % {"concepts": ", ".join(_concept_text(ref.concept_id, names) for ref in item.excluded)}
        )
    if item.value is not None:
        parts.append(
            _("value %(bounds)s")
            % {
                "bounds": _bounds_text(
                    item.value.min,
                    item.value.max,
                    low_strict=item.value.min_exclusive,
                    high_strict=item.value.max_exclusive,
                )
            }
        )
    if item.age_at_event is not None:
        parts.append(
            _("age at the event %(bounds)s")
            % {"bounds": _bounds_text(item.age_at_event.min, item.age_at_event.max)}
        )
    if item.occurrences != 1:
        parts.append(_("at least %(n)s times") % {"n": item.occurrences})
    if item.event_date is not None:
        if item.event_date.start and item.event_date.end:
            parts.append(
                _("from %(start)s to %(end)s")
                % {"start": item.event_date.start, "end": item.event_date.end}
            )
        elif item.event_date.start:
            parts.append(_("on or after %(date)s") % {"date": item.event_date.start})
        elif item.event_date.end:
            parts.append(_("on or before %(date)s") % {"date": item.event_date.end})
    if item.temporal is not None:
        relation = {
            "within": _("within %(days)s days of (%(anchor)s)"),
            "before": _("up to %(days)s days before (%(anchor)s)"),
            "after": _("up to %(days)s days after (%(anchor)s)"),
        }[item.temporal.relation]
        parts.append(
            relation
            % {"days": item.temporal.days, "anchor": _event_text(item.temporal.anchor, names)}
        )
        if item.temporal.anchor_occurrence == "first":
            parts.append(_("its first event only"))
    return "; ".join(str(part) for part in parts)


def _item_text(
    item: Any,
    names: dict[int, selectors.ConceptHit],
    questions: dict[str, selectors.SurveyChoice],
) -> tuple[str, str]:
    if isinstance(item, EventCriterion):
        return item.domain, _event_text(item, names)
    if isinstance(item, SurveyCriterion):
        choice = questions.get(item.question)
        question = choice.wording.text if choice else item.question
        worded = dict(choice.answers) if choice else {}
        answers = ", ".join(
            worded[answer].text if answer in worded else answer for answer in item.answers
        )
        return "survey", f"{KIND_LABELS['survey']}: {question} — {answers}"
    assert isinstance(item, DemographicCriterion)
    if item.field == "age":
        assert item.age is not None
        return "age", f"{KIND_LABELS['age']}: {_bounds_text(item.age.min, item.age.max)}"
    values = ", ".join(labels.label(VALUE_LABELS[item.field], value) for value in item.values)
    return item.field, f"{KIND_LABELS[item.field]}: {values}"


def _groups(
    definition: CohortDefinition, release: Release, errors: dict[str, str]
) -> dict[str, list[GroupView]]:
    names = selectors.concept_names(release=release, concept_ids=definition.concept_ids())
    questions = {choice.code: choice for choice in selectors.survey_choices(release=release)}
    shown: dict[str, list[GroupView]] = {}
    for side in SIDES:
        shown[side] = []
        for index, group in enumerate(getattr(definition, side)):
            view = GroupView(side, index, error=errors.get(f"{side}:{index}", ""))
            for position, item in enumerate(group.items):
                ref = f"{side}:{index}:{position}"
                kind, text = _item_text(item, names, questions)
                view.items.append(ItemView(ref, kind, text, errors.get(ref, "")))
            shown[side].append(view)
    return shown


def _error_place(path: str) -> str:
    """Where a DefinitionError's path points in the builder: an item, a group, or ""."""
    match = _PATH.match(path or "")
    if match is None:
        return ""
    side, group, item = match.groups()
    return f"{side}:{group}:{item}" if item is not None else f"{side}:{group}"


# --- the pages -----------------------------------------------------------------------------


def _cohort_in(workspace: Workspace, cohort_id: int | None) -> SavedCohort | None:
    """The workspace's cohort with that id, or None (an id past any database column's range
    included: it names nothing)."""
    if cohort_id is None or not 0 < cohort_id < 2**31:
        return None
    return SavedCohort.objects.filter(workspace=workspace, pk=cohort_id).first()


def _workspace_url(workspace: Workspace) -> str:
    try:
        return reverse("research:workspace", args=[workspace.public_id])
    except NoReverseMatch:  # the workspace pages are another area's
        return reverse("research:cohort_new", args=[workspace.public_id])


def _no_release(request: HttpRequest) -> HttpResponse:
    return render(request, "research/no_release.html", status=503)


def _search_hits(post: Any, release: Release, kind: str) -> list[Any] | None:
    query = (post.get("item_search") or "").strip()[: selectors.SEARCH_MAX_LENGTH]
    if kind not in EVENT_DOMAINS or not query:
        return None
    if any(ord(character) < 32 for character in query):
        return []
    results = selectors.concept_search(
        release=release,
        query=query,
        domain=selectors.BUILDER_DOMAINS[kind],
        page_size=SEARCH_HITS,
    )
    return results.hits


def _anchors(data: dict[str, Any], groups: dict[str, list[GroupView]]) -> list[ItemView]:
    return [
        item
        for side in SIDES
        for group in groups[side]
        for item in group.items
        if item.kind in EVENT_DOMAINS
    ]


def _builder(
    request: HttpRequest,
    *,
    workspace: Workspace,
    release: Release,
    data: dict[str, Any],
    cohort: SavedCohort | None,
    count: bool = True,
    item_error: ItemInvalid | None = None,
    name_error: str = "",
    status: int = 200,
    added: bool = False,
    circe_error: str = "",
) -> HttpResponse:
    definition = definition_parse(data)
    errors: dict[str, str] = {}
    result = None
    general_error = ""
    if count:
        try:
            result = services.cohort_count(
                user=request.user, release=release, definition=definition, workspace=workspace
            )
        except services.CohortTooSlow:
            general_error = _("The count took too long. Try a simpler cohort, or try again.")
            status = 503
        except DefinitionError as error:
            place = _error_place(error.path)
            if place:
                errors[place] = error.message
            else:
                general_error = str(error)
            status = 400 if status == 200 else status
    groups = _groups(definition, release, errors)
    post: Any = request.POST if request.method == "POST" else QueryDict()
    if added:
        # A criterion was added: the form starts again, keeping only its kind.
        post = QueryDict(mutable=True)
        post["item_kind"] = request.POST.get("item_kind", "condition")
        post["name"] = request.POST.get("name", "")
    kind = post.get("item_kind", "condition") if post else "condition"
    if kind not in KIND_LABELS:
        kind = "condition"
    questions = selectors.survey_choices(release=release) if kind == "survey" else []
    selected = (
        next(
            (q for q in questions if q.code == post.get("item_question")),
            questions[0] if questions else None,
        )
        if questions
        else None
    )
    group_choices = [
        ("include:new", _("A new include group")),
        *[
            (f"include:{group.index}", _("Include group %(n)s") % {"n": group.index + 1})
            for group in groups["include"]
        ],
        ("exclude:new", _("A new exclude group")),
        *[
            (f"exclude:{group.index}", _("Exclude group %(n)s") % {"n": group.index + 1})
            for group in groups["exclude"]
        ],
    ]
    context = {
        "sides": [
            (
                "include",
                _("Include participants who match"),
                _("No include group: every participant, less those excluded."),
                groups["include"],
            ),
            (
                "exclude",
                _("Exclude participants who match"),
                _("No exclude group."),
                groups["exclude"],
            ),
        ],
        "group_choices": group_choices,
        # Checked unless the person unchecked it (the box was on the page and came back off).
        "descendants_checked": post.get("item_descendants_shown") != "1"
        or post.get("item_descendants") == "on",
        "chosen_values": post.getlist("item_values") if post else [],
        "chosen_answers": post.getlist("item_answers") if post else [],
        "selected_question": selected,
        "workspace_url": _workspace_url(workspace),
        "builder_url": reverse("research:cohort_edit", args=[workspace.public_id, cohort.pk])
        if cohort
        else reverse("research:cohort_new", args=[workspace.public_id]),
        "circe_error": circe_error,
        "saved": request.GET.get("saved") == "1",
        "workspace": workspace,
        "cohort": cohort,
        "release": release,
        "definition_json": json.dumps(data, separators=(",", ":")),
        "groups": groups,
        "empty": not definition.include and not definition.exclude,
        "result": result,
        "makeup": [
            (labels.label(labels.CATEGORY_LABELS, row.category), row)
            for row in (result.makeup if result else [])
        ],
        "general_error": general_error,
        "item_error": item_error,
        "name_error": name_error,
        "kind": kind,
        "kinds": list(KIND_LABELS.items()),
        "event_kinds": EVENT_DOMAINS,
        "hits": _search_hits(post, release, kind) if post else None,
        "anchors": _anchors(data, groups),
        "relations": list(RELATION_LABELS.items()),
        "questions": questions,
        "values": list(VALUE_LABELS.get(kind, {}).items()),
        "form": post,
        "name": post.get("name", cohort.name if cohort else "")
        if post
        else (cohort.name if cohort else ""),
        "language": get_language() or "",
    }
    htmx = bool(request.headers.get("HX-Request"))
    template = "research/cohorts/_builder.html" if htmx else "research/cohorts/builder.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _handle(
    request: HttpRequest, workspace: Workspace, release: Release, cohort: SavedCohort | None
) -> HttpResponse:
    if request.method == "GET":
        data = (
            definition_dump(definition_parse(cohort.definition))
            if cohort
            else {
                "version": 1,
                "include": [],
                "exclude": [],
            }
        )
        return _builder(request, workspace=workspace, release=release, data=data, cohort=cohort)
    posted = _posted_definition(request, workspace)
    if isinstance(posted, HttpResponse):
        return posted
    data = posted
    action = request.POST.get("action", "")
    if action == "save":
        return _save(request, workspace, release, cohort, data)
    try:
        changed = _apply(action, request.POST, data)
        definition_parse(changed)
    except ItemInvalid as error:
        return _builder(
            request,
            workspace=workspace,
            release=release,
            data=data,
            cohort=cohort,
            item_error=error,
            status=400,
        )
    except DefinitionError as error:
        return _builder(
            request,
            workspace=workspace,
            release=release,
            data=data,
            cohort=cohort,
            item_error=ItemInvalid("", error.message),
            status=400,
        )
    searching = action in ("search", "refresh") and bool(request.headers.get("HX-Request"))
    return _builder(
        request,
        workspace=workspace,
        release=release,
        data=changed,
        cohort=cohort,
        count=not searching,
        added=action == "add",
    )


def _save(
    request: HttpRequest,
    workspace: Workspace,
    release: Release,
    cohort: SavedCohort | None,
    data: dict[str, Any],
) -> HttpResponse:
    try:
        saved = services.cohort_save(
            user=request.user,
            workspace_id=workspace.public_id,
            name=request.POST.get("name", ""),
            description=cohort.description if cohort else "",
            definition=definition_parse(data),
            cohort_id=cohort.pk if cohort else None,
        )
    except services.CohortRefused as error:
        return _builder(
            request,
            workspace=workspace,
            release=release,
            data=data,
            cohort=cohort,
            name_error=error.message,
            status=400,
        )
    url = reverse("research:cohort_edit", args=[workspace.public_id, saved.pk]) + "?saved=1"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _posted_definition(request: HttpRequest, workspace: Workspace) -> dict[str, Any] | HttpResponse:
    """The definition of the builder's hidden field, or the 400 page saying what is wrong."""
    try:
        return _definition_from(request.POST.get("definition", ""))
    except BadDefinition as error:
        return render(
            request,
            "research/cohorts/bad_definition.html",
            {"workspace": workspace, "message": error.args[0]},
            status=400,
        )


@workbench_required()
@require_http_methods(["GET", "POST"])
def cohort_new(request: AuthenticatedRequest, workspace_id: Any) -> HttpResponse:
    """A new cohort, built from nothing (everyone) in a workspace of the researcher's."""
    workspace = workspace_for(request.user, workspace_id, write=True)
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    return _handle(request, workspace, release, None)


@workbench_required()
@require_http_methods(["GET", "POST"])
def cohort_edit(request: AuthenticatedRequest, workspace_id: Any, cohort_id: int) -> HttpResponse:
    """A saved cohort in the builder: change it, count it, save it again."""
    workspace = workspace_for(request.user, workspace_id, write=request.method == "POST")
    cohort = _cohort_in(workspace, cohort_id)
    if cohort is None:
        raise Http404
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    return _handle(request, workspace, release, cohort)


@workbench_required()
@require_POST
def cohort_rename(request: AuthenticatedRequest, workspace_id: Any, cohort_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, workspace_id, write=True)
    try:
        services.cohort_rename(
            user=request.user,
            workspace_id=workspace.public_id,
            cohort_id=cohort_id,
            name=request.POST.get("name", ""),
        )
    except services.CohortRefused as error:
        cohort = _cohort_in(workspace, cohort_id)
        if cohort is None:
            raise Http404 from None
        return render(
            request,
            "research/cohorts/rename.html",
            {"workspace": workspace, "cohort": cohort, "error": error.message},
            status=400,
        )
    return HttpResponseRedirect(
        reverse("research:cohort_edit", args=[workspace.public_id, cohort_id])
    )


@workbench_required()
@require_http_methods(["GET", "POST"])
def cohort_delete(request: AuthenticatedRequest, workspace_id: Any, cohort_id: int) -> HttpResponse:
    """A confirmation page, then the deletion."""
    workspace = workspace_for(request.user, workspace_id, write=True)
    cohort = _cohort_in(workspace, cohort_id)
    if cohort is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            services.cohort_delete(
                user=request.user, workspace_id=workspace.public_id, cohort_id=cohort_id
            )
        except services.CohortRefused as refused:
            error = refused.message
        else:
            return HttpResponseRedirect(_workspace_url(workspace))
    return render(
        request,
        "research/cohorts/delete.html",
        {"workspace": workspace, "cohort": cohort, "error": error},
        status=400 if error else 200,
    )


# --- Circe (OHDSI ATLAS) import and export -----------------------------------------------------

CIRCE_MAX_BYTES = 1024 * 1024  # warehouse/circe.py reads at most this much


@workbench_required()
@require_POST
def cohort_export(request: AuthenticatedRequest, workspace_id: Any) -> HttpResponse:
    """The definition in the builder (the hidden field) as Circe JSON, to download; what Circe
    cannot express exactly is named in the builder instead."""
    workspace = workspace_for(request.user, workspace_id)
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    posted = _posted_definition(request, workspace)
    if isinstance(posted, HttpResponse):
        return posted
    data = posted
    definition = definition_parse(data)
    cohort = _cohort_in(workspace, _whole(request.POST.get("cohort", "")))
    names = {
        concept_id: hit.name
        for concept_id, hit in selectors.concept_names(
            release=release, concept_ids=definition.concept_ids()
        ).items()
    }
    try:
        document = circe_export(definition, names)
    except DefinitionError as error:
        return _builder(
            request,
            workspace=workspace,
            release=release,
            data=data,
            cohort=cohort,
            count=False,
            circe_error=_("This cohort cannot be written as Circe JSON: %(reason)s")
            % {"reason": str(error)},
            status=400,
        )
    services.cohort_circe_record(
        user=request.user,
        workspace_id=workspace.public_id,
        direction="export",
        definition=definition,
    )
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", cohort.name if cohort else "cohort").strip("-")
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name or "cohort"}-circe.json"'
    return response


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


@workbench_required()
@require_POST
def cohort_import(request: AuthenticatedRequest, workspace_id: Any) -> HttpResponse:
    """A Circe JSON file (as ATLAS exports it) opened in the builder as a new, unsaved cohort;
    what the builder cannot express is refused by name (400), nothing changed."""
    workspace = workspace_for(request.user, workspace_id, write=True)
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    upload = request.FILES.get("circe")
    text = request.POST.get("circe_text", "")
    error = ""
    raw: bytes | str = ""
    if upload is not None:
        if upload.size is not None and upload.size > CIRCE_MAX_BYTES:
            error = _("The file is larger than 1 MB.")
        else:
            raw = upload.read(CIRCE_MAX_BYTES + 1)
    elif text.strip():
        raw = text
    else:
        error = _("Choose a Circe JSON file, or paste its text.")
    if not error and len(raw) > CIRCE_MAX_BYTES:
        error = _("The file is larger than 1 MB.")
    definition = None
    if not error:
        try:
            decoded = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            definition = circe_import(decoded)
        except UnicodeDecodeError:
            error = _("The file is not UTF-8 text.")
        except (DefinitionError, RecursionError) as refused:
            error = _("This Circe cohort cannot be imported: %(reason)s") % {
                "reason": str(refused) or _("it is nested too deeply")
            }
    if definition is None:
        return _builder(
            request,
            workspace=workspace,
            release=release,
            data={"version": 1, "include": [], "exclude": []},
            cohort=None,
            count=False,
            circe_error=error,
            status=400,
        )
    services.cohort_circe_record(
        user=request.user,
        workspace_id=workspace.public_id,
        direction="import",
        definition=definition,
    )
    return _builder(
        request,
        workspace=workspace,
        release=release,
        data=definition_dump(definition),
        cohort=None,
    )


__all__ = [
    "cohort_delete",
    "cohort_edit",
    "cohort_export",
    "cohort_import",
    "cohort_new",
    "cohort_rename",
    "criterion_dump",
]
