"""REDCap interchange: data dictionaries in and out, records out (issue 8).

Three conversions, none of which touches the database (the views and services do):

- `branching_parse` / `branching_format`: REDCap branching logic (`[q1] = '2' and [q3] > 5`)
  to a `logic.py` condition tree and back. A small recursive-descent parser: `and` binds
  tighter than `or`, as in REDCap; anything it does not understand (functions, arithmetic,
  event prefixes) raises `BranchingError` with the reason, and the importer then drops the
  condition and says so in its report: never a condition silently different from REDCap's.
- `dictionary_import`: a data dictionary CSV to an `InstrumentSpec` and a line-by-line report.
- `dictionary_export` / `records_header` / `records_rows`: an instrument as a data dictionary
  REDCap accepts, and its responses as REDCap's flat records CSV.

What REDCap has no column for travels in the "Field Annotation" column as action tags REDCap
ignores (`@TAPESTRY-LIKERT`, `@TAPESTRY-SECTION`, `@TAPESTRY-DESCRIBES=role`, and the
instrument's own title and settings as `@TAPESTRY-INSTRUMENT={...}` on record_id), so that an
exported dictionary imports back to the same instrument.

Checkbox columns in records: REDCap names them `<variable>___<code>` with the code in lower
case. REDCap's own codes are letters, digits and underscores (and a leading minus), while
Tapestry also allows '.' and '-': both become '_' in the column name (`checkbox_column`), so
`-1` is `var____1` as REDCap writes it. Two codes of one question that would share a column
("A" and "a", "1.5" and "1_5") make the records export refuse with `RecordsError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import ValidationError

from tapestry.core.api import csv_cell
from tapestry.surveys import logic
from tapestry.surveys.models import choice_code_validator
from tapestry.surveys.schemas import InstrumentSpec

# ---------------------------------------------------------------------------------------------
# Branching logic
# ---------------------------------------------------------------------------------------------


class BranchingError(ValueError):
    """Branching logic this importer does not take; the message says why (translated)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "field", "string", "number", "op", "and", "or", "(", ")", "end"
    text: str
    position: int
    choice: str | None = None  # for "field": the checkbox code in [q2(3)]


_FIELD = re.compile(r"\[([A-Za-z][A-Za-z0-9_]*)(?:\(([A-Za-z0-9_.-]+)\))?\]")
_EVENT_FIELD = re.compile(r"\[[^\]]*\]\s*\[")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("<>", "!=", "<=", ">=", "=", "<", ">")
_ORDER = ("<", "<=", ">", ">=")
MAX_BRANCHING_LENGTH = 2000


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
            continue
        if character == "[":
            if _EVENT_FIELD.match(text, position):
                raise BranchingError(
                    _("event names ([event][field]) refer to longitudinal projects")
                )
            match = _FIELD.match(text, position)
            if not match:
                raise BranchingError(
                    _("%(text)s is not a field reference")
                    % {"text": text[position : position + 20]}
                )
            tokens.append(_Token("field", match.group(1), position, match.group(2)))
            position = match.end()
            continue
        if character in "'\"":
            end = text.find(character, position + 1)
            if end < 0:
                raise BranchingError(_("a quotation mark is not closed"))
            tokens.append(_Token("string", text[position + 1 : end], position))
            position = end + 1
            continue
        if character in "()":
            tokens.append(_Token(character, character, position))
            position += 1
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, position)), None)
        if operator:
            tokens.append(_Token("op", "!=" if operator == "<>" else operator, position))
            position += len(operator)
            continue
        number = _NUMBER.match(text, position)
        if number:
            tokens.append(_Token("number", number.group(), position))
            position = number.end()
            continue
        word = _WORD.match(text, position)
        if word and word.group().lower() in ("and", "or"):
            tokens.append(_Token(word.group().lower(), word.group(), position))
            position = word.end()
            continue
        if word and text[word.end() :].lstrip().startswith("("):
            raise BranchingError(
                _("functions such as %(name)s() are not supported") % {"name": word.group()}
            )
        if character in "+-*/^":
            raise BranchingError(_("arithmetic is not supported"))
        raise BranchingError(
            _("%(text)s is not understood") % {"text": (word.group() if word else character)}
        )
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """expression := conjunction ("or" conjunction)*
    conjunction := primary ("and" primary)*
    primary     := "(" expression ")" | field operator value"""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self) -> dict[str, Any]:
        return self._chain("or", self.conjunction)

    def conjunction(self) -> dict[str, Any]:
        return self._chain("and", self.primary)

    def _chain(self, op: str, part: Any) -> dict[str, Any]:
        args = [part()]
        while self.peek().kind == op:
            self.take()
            args.append(part())
        return args[0] if len(args) == 1 else {"op": op, "args": args}

    def primary(self) -> dict[str, Any]:
        token = self.take()
        if token.kind == "(":
            self.depth += 1
            if self.depth > logic.MAX_DEPTH:
                raise BranchingError(_("the logic is nested too deeply"))
            inner = self.expression()
            if self.take().kind != ")":
                raise BranchingError(_("a parenthesis is not closed"))
            self.depth -= 1
            return inner
        if token.kind != "field":
            raise BranchingError(_("a condition must start with a [field]"))
        operator = self.take()
        if operator.kind != "op":
            if operator.kind in ("number", "field", "string"):
                raise BranchingError(_("arithmetic is not supported"))
            raise BranchingError(
                _("[%(field)s] needs a comparison such as = or <>") % {"field": token.text}
            )
        value = self.take()
        if value.kind not in ("string", "number"):
            if value.kind == "field":
                raise BranchingError(_("comparing two fields is not supported"))
            raise BranchingError(
                _("[%(field)s] %(op)s needs a value") % {"field": token.text, "op": operator.text}
            )
        if self.peek().kind in ("field", "string", "number", "op"):
            raise BranchingError(_("arithmetic is not supported"))
        code = token.text.lower()
        if token.choice is not None:
            return _checkbox(code, token.choice, operator.text, value.text)
        return {"op": operator.text, "question": code, "value": value.text}


def _checkbox(code: str, choice: str, op: str, value: str) -> dict[str, Any]:
    ticked = {("=", "1"): True, ("!=", "0"): True, ("=", "0"): False, ("!=", "1"): False}.get(
        (op, value)
    )
    if ticked is None:
        raise BranchingError(
            _("a checkbox [%(field)s(%(choice)s)] compares only with = or <> '1' or '0'")
            % {"field": code, "choice": choice}
        )
    return {"op": "checked" if ticked else "unchecked", "question": code, "choice": choice}


def branching_parse(text: str) -> dict[str, Any] | None:
    """A `logic.py` condition tree from REDCap branching logic; None for blank logic.

    Raises BranchingError for anything it does not take. The tree is not yet checked against
    the instrument's questions (`logic.validate` does that)."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_BRANCHING_LENGTH:
        raise BranchingError(_("the logic is too long"))
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    if parser.peek().kind != "end":
        token = parser.peek()
        if token.kind == ")":
            raise BranchingError(_("a parenthesis closes that was never opened"))
        raise BranchingError(_("%(text)s is not understood here") % {"text": token.text})
    return tree


def branching_format(condition: Mapping[str, Any] | None) -> str:
    """REDCap branching logic for a condition tree (groups inside groups in parentheses)."""
    if not condition:
        return ""
    return _format(condition, nested=False)


def _format(node: Mapping[str, Any], *, nested: bool) -> str:
    op = node["op"]
    if op in logic.GROUPS:
        text = f" {op} ".join(_format(arg, nested=True) for arg in node["args"])
        return f"({text})" if nested else text
    if op in logic.CHECKS:
        value = "1" if op == "checked" else "0"
        return f"[{node['question']}({node['choice']})] = '{value}'"
    value = node["value"]
    operator = "<>" if op == "!=" else op
    if op in _ORDER and _NUMBER.fullmatch(value):
        written = value
    elif "'" not in value:
        written = f"'{value}'"
    else:
        written = f'"{value}"'
    return f"[{node['question']}] {operator} {written}"


# ---------------------------------------------------------------------------------------------
# Data dictionaries
# ---------------------------------------------------------------------------------------------

# REDCap's columns, in the order REDCap writes and expects them.
HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
_KEYS = (
    "variable",
    "form",
    "section",
    "type",
    "label",
    "choices",
    "note",
    "validation",
    "minimum",
    "maximum",
    "identifier",
    "branching",
    "required",
    "alignment",
    "number",
    "matrix",
    "ranking",
    "annotation",
)


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())


# Each column under the names REDCap versions have written (normalized: lower case, words only).
_COLUMN_NAMES: dict[str, str] = {
    _normal(name): key for name, key in zip(HEADER, _KEYS, strict=True)
}
_COLUMN_NAMES.update(
    {
        "variable field name": "variable",
        "field name": "variable",
        "variable name": "variable",
        "choices or calculations": "choices",
        "choices calculations or slider labels": "choices",
        "choices or calculations or slider labels": "choices",
        "choices": "choices",
        "text validation type": "validation",
        "text validation": "validation",
        "validation": "validation",
        "text validation min": "minimum",
        "text validation max": "maximum",
        "identifier": "identifier",
        "branching logic": "branching",
        "branching logic show field only if": "branching",
        "required field": "required",
        "required": "required",
        "question number": "number",
        "question number surveys only": "number",
        "matrix ranking": "ranking",
        "field annotation": "annotation",
        "field annotations": "annotation",
    }
)
_REQUIRED_COLUMNS = ("variable", "form", "type", "label")

TAG_INSTRUMENT = "@TAPESTRY-INSTRUMENT="
TAG_LIKERT = "@TAPESTRY-LIKERT"
TAG_SECTION = "@TAPESTRY-SECTION"
TAG_DESCRIBES = "@TAPESTRY-DESCRIBES="
RECORD_ID = "record_id"
_NUMBER_VALIDATION = re.compile(r"^(?:number(?:_\d+dp)?|float)$")
_INTEGER_VALIDATION = ("integer", "int")
_DATE_VALIDATION = ("date_ymd", "date_mdy", "date_dmy", "date")
_UNSUPPORTED_TYPES = {
    "calc": gettext_noop("calculated fields are not supported; skipped"),
    "file": gettext_noop("file upload fields are not supported; skipped"),
    "sql": gettext_noop("SQL fields are not supported; skipped"),
    "signature": gettext_noop("signature fields are not supported; skipped"),
}
# Spreadsheets' formula starts, which `csv_cell` guards with a leading apostrophe on export.
_GUARDED = re.compile(r"^'(?=[=+\-@\t\r])")


class DictionaryError(ValueError):
    """A file that is not a REDCap data dictionary at all (the message says why, translated)."""


@dataclass(frozen=True)
class ReportLine:
    """One line of the import report: where, which field, and what happened."""

    line: int | None
    variable: str
    message: str
    imported: bool = False

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("line %(line)s, field %(field)s: %(message)s") % {
            "line": self.line,
            "field": self.variable,
            "message": self.message,
        }


@dataclass
class ImportResult:
    """What `dictionary_import` made of a file: the spec (None if nothing usable), every
    report line, the forms in the file and the one imported."""

    spec: InstrumentSpec | None
    report: list[ReportLine]
    forms: list[str]
    form: str

    @property
    def problems(self) -> list[str]:
        return [str(line) for line in self.report if not line.imported]


@dataclass
class _Row:
    line: int
    cells: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.cells.get(key, "")


def dictionary_rows(data: bytes) -> list[_Row]:
    """The rows of a data dictionary file, its columns matched by name. Raises DictionaryError
    if the file is not UTF-8 CSV text with REDCap's columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DictionaryError(
            _("The file is not UTF-8 text. Save it from REDCap or your spreadsheet as CSV (UTF-8).")
        ) from error
    if "\x00" in text:
        raise DictionaryError(_("The file is not a CSV text file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise DictionaryError(_("The file is empty."))
        columns = [_COLUMN_NAMES.get(_normal(name)) for name in header]
        missing = [HEADER[_KEYS.index(key)] for key in _REQUIRED_COLUMNS if key not in columns]
        if missing:
            raise DictionaryError(
                _(
                    "This is not a REDCap data dictionary: the first line lacks the columns "
                    "%(columns)s."
                )
                % {"columns": ", ".join(f"“{name}”" for name in missing)}
            )
        rows: list[_Row] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                values = {
                    key: cell.strip()
                    for key, cell in zip(columns, cells, strict=False)
                    if key is not None
                }
                rows.append(_Row(line=line, cells=values))
            line = reader.line_num + 1
    except csv.Error as error:
        raise DictionaryError(
            _("The file is not valid CSV: %(reason)s") % {"reason": error}
        ) from error
    if not rows:
        raise DictionaryError(_("The data dictionary has no fields."))
    return rows


def _unguard(text: str) -> str:
    return _GUARDED.sub("", text)


def _choices(text: str) -> list[tuple[str, str]]:
    """ "1, Yes | 2, No" as [("1", "Yes"), ("2", "No")]; a label may hold commas."""
    pairs = []
    for item in text.split("|"):
        if not item.strip():
            continue
        code, comma, label = item.partition(",")
        if not comma:
            raise ValueError(item.strip())
        pairs.append((code.strip(), label.strip()))
    return pairs


def _tags(annotation: str) -> tuple[set[str], str, dict[str, Any]]:
    """The Tapestry action tags in a Field Annotation: flags, describes, instrument data."""
    flags = {
        tag for tag in (TAG_LIKERT, TAG_SECTION) if re.search(re.escape(tag) + r"\b", annotation)
    }
    describes_match = re.search(re.escape(TAG_DESCRIBES) + r"(\w+)", annotation)
    instrument: dict[str, Any] = {}
    start = annotation.find(TAG_INSTRUMENT)
    if start >= 0:
        try:
            value, _end = json.JSONDecoder().raw_decode(annotation, start + len(TAG_INSTRUMENT))
        except ValueError:
            value = {}
        instrument = value if isinstance(value, dict) else {}
    return flags, describes_match.group(1) if describes_match else "", instrument


def form_slug(form: str) -> str:
    """A link name from a REDCap form name: needs_assessment → needs-assessment."""
    slug = re.sub(r"[^a-z0-9]+", "-", form.lower()).strip("-")[:60]
    return slug or "redcap-import"


def form_name(slug: str) -> str:
    """A REDCap form name from a link name: sample-needs → sample_needs (lower case, digits,
    underscores, starting with a letter, at most 64 characters, as REDCap requires)."""
    name = re.sub(r"[^a-z0-9]+", "_", slug.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"form_{name}"
    return name[:64].rstrip("_")


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def dictionary_import(
    data: bytes,
    *,
    form: str = "",
    slug: str = "",
    language: str = "en",
    anonymous: bool = True,
) -> ImportResult:
    """An instrument spec from a REDCap data dictionary file, and the line-by-line report.

    Imports one form (`form`, default the first in the file); the record identifier (the
    first field) is not a question. The text goes into `language` (a Spanish file's text
    stands in for the English too, which Tapestry needs); the translators fill in the other.
    Raises DictionaryError if the file is not a data dictionary;
    otherwise returns `spec=None` when nothing usable is left (the report says why).
    """
    rows = dictionary_rows(data)
    forms: list[str] = []
    for row in rows:
        if row["form"] and row["form"] not in forms:
            forms.append(row["form"])
    if not forms:
        raise DictionaryError(_("No field names a form (the “Form Name” column is empty)."))
    chosen = form or forms[0]
    if chosen not in forms:
        raise DictionaryError(
            _("The file has no form %(form)s; its forms are %(forms)s.")
            % {"form": chosen, "forms": ", ".join(forms)}
        )
    builder = _Builder(language=language, anonymous=anonymous)
    _flags, _describes, instrument = _tags(rows[0]["annotation"])
    builder.report.append(
        ReportLine(
            rows[0].line,
            rows[0]["variable"],
            _("the record identifier, not a question"),
        )
    )
    for other in forms:
        if other != chosen:
            count = sum(1 for row in rows[1:] if row["form"] == other)
            builder.report.append(
                ReportLine(
                    None,
                    other,
                    _("Form %(form)s: %(count)s fields skipped (one form is imported at a time).")
                    % {"form": other, "count": count},
                )
            )
    for row in rows[1:]:
        if row["form"] == chosen:
            builder.add(row)
        elif not row["form"]:
            builder.skip(row, _("the field names no form; skipped"))
    data_spec = builder.spec(instrument, slug=slug or "", form=chosen)
    spec: InstrumentSpec | None = None
    if builder.questions:
        try:
            spec = InstrumentSpec.model_validate(data_spec)
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"])
                builder.report.append(
                    ReportLine(
                        None,
                        "",
                        _("%(where)s: %(problem)s") % {"where": where, "problem": problem["msg"]},
                    )
                )
    else:
        builder.report.append(
            ReportLine(None, "", _("No field of the form could be imported as a question."))
        )
    return ImportResult(spec=spec, report=builder.report, forms=forms, form=chosen)


@dataclass
class _Builder:
    language: str
    anonymous: bool
    report: list[ReportLine] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    questions: dict[str, logic.QuestionFacts] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def text(self, value: str) -> dict[str, str]:
        # Tapestry needs the English wording (it is every page's fallback): a Spanish file's
        # text stands in for it until translated (the service flags it).
        if self.language == "es":
            return {"en": value, "es": value}
        return {"en": value, "es": ""}

    def skip(self, row: _Row, message: str) -> None:
        self.report.append(ReportLine(row.line, row["variable"], message))

    def add(self, row: _Row) -> None:
        variable = row["variable"]
        code = variable.lower()
        kind_name = row["type"].lower()
        flags, describes, _instrument = _tags(row["annotation"])
        if row["section"] or TAG_SECTION in flags or not self.sections:
            self.sections.append(
                {
                    "title": self.text(_unguard(row["section"])),
                    "introduction": self.text(""),
                    "questions": [],
                    "line": row.line,
                }
            )
        section = self.sections[-1]
        if not logic.CODE_PATTERN.match(code):
            self.skip(row, _("the variable name is not one REDCap allows; skipped"))
            return
        if code in self.seen:
            self.skip(row, _("the variable name is used twice; skipped"))
            return
        self.seen.add(code)
        if kind_name == "descriptive":
            if not section["questions"] and not section["introduction"][self.language]:
                section["introduction"] = self.text(_unguard(row["label"]))
                self.report.append(
                    ReportLine(
                        row.line,
                        variable,
                        _("descriptive text: the section's introduction"),
                        imported=True,
                    )
                )
            else:
                self.skip(row, _("descriptive text between questions is not supported; skipped"))
            return
        if kind_name in _UNSUPPORTED_TYPES:
            self.skip(row, _(_UNSUPPORTED_TYPES[kind_name]))
            return
        question: dict[str, Any] = {
            "code": code,
            "label": self.text(_unguard(row["label"])),
            "help": self.text(_unguard(row["note"])),
            "required": row["required"].lower() in ("y", "yes", "1"),
            "choices": [],
        }
        notes: list[str] = []
        if not self._kind(row, kind_name, question, flags, notes):
            return
        if describes in ("role", "state") and question["kind"] == "single":
            question["describes"] = describes
        if row["identifier"].lower() in ("y", "yes", "1") and self.anonymous:
            notes.append(
                _(
                    "marked as an identifier in REDCap, but this survey is anonymous: consider "
                    "whether to ask it"
                )
            )
        facts = logic.QuestionFacts(
            code=code,
            kind=question["kind"],
            choices=tuple(choice["code"] for choice in question["choices"]),
        )
        if row["branching"]:
            condition = self._condition(row, notes)
            if condition is not None:
                question["show_if"] = condition
        self.questions[code] = facts
        section["questions"].append(question)
        message = _("imported as %(kind)s") % {"kind": _(_KIND_WORDS[question["kind"]])}
        if question.get("show_if"):
            message += _(", shown if %(logic)s") % {"logic": row["branching"]}
        self.report.append(ReportLine(row.line, variable, message, imported=True))
        for note in notes:
            self.report.append(ReportLine(row.line, variable, note))

    def _kind(
        self,
        row: _Row,
        kind_name: str,
        question: dict[str, Any],
        flags: set[str],
        notes: list[str],
    ) -> bool:
        validation = row["validation"].lower()
        if kind_name in ("radio", "dropdown", "checkbox"):
            try:
                pairs = _choices(row["choices"])
            except ValueError as error:
                self.skip(
                    row,
                    _("the choice %(choice)s has no “code, label” comma; skipped")
                    % {"choice": str(error)[:40]},
                )
                return False
            bad = [
                code
                for code, _label in pairs
                if not re.fullmatch(choice_code_validator.regex, code)
            ]
            if bad:
                self.skip(
                    row,
                    _(
                        "the choice code %(code)s is not one Tapestry takes (up to 20 letters, digits, _ . -); skipped"
                    )
                    % {"code": bad[0][:40]},
                )
                return False
            if len(pairs) < 2:
                self.skip(row, _("a choice field needs at least two choices; skipped"))
                return False
            if kind_name == "checkbox":
                question["kind"] = "multiple"
            else:
                question["kind"] = "likert" if TAG_LIKERT in flags else "single"
            question["choices"] = [
                {"code": code, "label": self.text(label)} for code, label in pairs
            ]
            return True
        if kind_name in ("yesno", "truefalse"):
            question["kind"] = "single"
            words = (
                [("1", "Yes", "Sí"), ("0", "No", "No")]
                if kind_name == "yesno"
                else [("1", "True", "Verdadero"), ("0", "False", "Falso")]
            )
            question["choices"] = [
                {"code": code, "label": {"en": english, "es": spanish}}
                for code, english, spanish in words
            ]
            return True
        if kind_name == "notes":
            question["kind"] = "text"
            return True
        if kind_name == "slider":
            question["kind"] = "number"
            question["whole_number"] = True
            question["minimum"] = _decimal(row["minimum"]) if row["minimum"] else Decimal(0)
            question["maximum"] = _decimal(row["maximum"]) if row["maximum"] else Decimal(100)
            if row["choices"]:
                notes.append(_("the slider's labels are not kept (the question is a number)"))
            return True
        if kind_name != "text":
            self.skip(
                row,
                _("fields of type %(type)s are not supported; skipped")
                % {"type": kind_name or "?"},
            )
            return False
        if not validation:
            question["kind"] = "text"
            return True
        if validation in _INTEGER_VALIDATION or _NUMBER_VALIDATION.match(validation):
            question["kind"] = "number"
            question["whole_number"] = validation in _INTEGER_VALIDATION
            for key in ("minimum", "maximum"):
                if row[key]:
                    value = _decimal(row[key])
                    if value is None:
                        notes.append(
                            _("the %(bound)s %(value)s is not a number; imported without it")
                            % {
                                "bound": _("minimum") if key == "minimum" else _("maximum"),
                                "value": row[key][:40],
                            }
                        )
                    question[key] = value
            return True
        if validation in _DATE_VALIDATION:
            question["kind"] = "date"
            if row["minimum"] or row["maximum"]:
                notes.append(_("the date range is not kept (dates take any day)"))
            return True
        question["kind"] = "text"
        notes.append(
            _("the %(validation)s validation is not checked here; imported as free text")
            % {"validation": validation[:40]}
        )
        return True

    def _condition(self, row: _Row, notes: list[str]) -> dict[str, Any] | None:
        try:
            condition = branching_parse(row["branching"])
            if condition is not None:
                for code in sorted(logic.references(condition)):
                    if code not in self.questions:
                        if code in self.seen:
                            raise BranchingError(
                                _("it refers to %(field)s, which was not imported")
                                % {"field": code}
                            )
                        raise BranchingError(
                            _("it refers to %(field)s, which is not an earlier field")
                            % {"field": code}
                        )
                logic.validate(condition, earlier=self.questions)
        except BranchingError as error:
            notes.append(_("the branching logic is not imported: %(reason)s") % {"reason": error})
            return None
        except logic.ConditionError as error:
            notes.append(_("the branching logic is not imported: %(reason)s") % {"reason": error})
            return None
        return condition

    def spec(self, instrument: dict[str, Any], *, slug: str, form: str) -> dict[str, Any]:
        def pair(name: str, fallback: str = "") -> dict[str, str]:
            value = instrument.get(name)
            if isinstance(value, dict):
                return {"en": str(value.get("en", "")), "es": str(value.get("es", ""))}
            return self.text(fallback)

        title = form.replace("_", " ").strip().capitalize()
        data: dict[str, Any] = {
            "slug": slug or str(instrument.get("slug") or form_slug(form)),
            "title": pair("title", title),
            "introduction": pair("introduction"),
            "sections": [],
        }
        for section in self.sections:
            line = section.pop("line")
            if section["questions"]:
                data["sections"].append(section)
            elif section["title"][self.language] or section["introduction"][self.language]:
                self.report.append(
                    ReportLine(
                        line,
                        section["title"][self.language][:60],
                        _("the section has no field that could be imported; left out"),
                    )
                )
        if "purpose" in instrument:
            data["purpose"] = instrument["purpose"]
        # The mode is the importer's choice, whatever the file says.
        data["mode"] = "anonymous" if self.anonymous else "identified"
        data["allow_multiple"] = bool(instrument.get("allow_multiple")) and not self.anonymous
        return data


_KIND_WORDS = {
    "single": gettext_noop("single choice"),
    "multiple": gettext_noop("multiple choice"),
    "likert": gettext_noop("Likert scale"),
    "number": gettext_noop("number"),
    "text": gettext_noop("free text"),
    "date": gettext_noop("date"),
}


def dictionary_export(spec: InstrumentSpec, *, language: str = "en") -> Iterator[list[str]]:
    """The data dictionary's rows (header first) for an instrument, in `language` (Spanish
    falls back to English where blank)."""

    def text(pair: Any) -> str:
        value = getattr(pair, language, "") or pair.en
        return csv_cell(value)

    name = form_name(spec.slug)
    instrument = {
        "slug": spec.slug,
        "title": spec.title.model_dump(),
        "introduction": spec.introduction.model_dump(),
        "purpose": spec.purpose,
        "mode": spec.mode,
        "allow_multiple": spec.allow_multiple,
    }
    yield list(HEADER)
    yield _row(
        variable=RECORD_ID,
        form=name,
        type="text",
        label="Record ID",
        annotation=TAG_INSTRUMENT + json.dumps(instrument, ensure_ascii=False, sort_keys=True),
    )
    used = {question.code for section in spec.sections for question in section.questions}
    for position, section in enumerate(spec.sections):
        header = text(section.title)
        section_tag = "" if header else TAG_SECTION
        if section.introduction.en or section.introduction.es:
            variable = f"section_{position + 1}_intro"
            while variable in used:
                variable += "_"
            yield _row(
                variable=variable,
                form=name,
                section=header,
                type="descriptive",
                label=text(section.introduction),
                annotation=section_tag,
            )
            header, section_tag = "", ""
        for question in section.questions:
            tags = [section_tag] if section_tag else []
            header_here, header, section_tag = header, "", ""
            cells: dict[str, str] = {
                "variable": question.code,
                "form": name,
                "section": header_here,
                "label": text(question.label),
                "note": text(question.help),
                "branching": branching_format(question.show_if),
                "required": "y" if question.required else "",
            }
            if question.kind in ("single", "likert", "multiple"):
                cells["type"] = {"multiple": "checkbox"}.get(question.kind, "radio")
                # REDCap has no escape for the "|" between choices: a label's own becomes "/".
                cells["choices"] = " | ".join(
                    f"{choice.code}, "
                    + (getattr(choice.label, language, "") or choice.label.en).replace("|", "/")
                    for choice in question.choices
                )
                if question.kind == "likert":
                    tags.append(TAG_LIKERT)
            elif question.kind == "number":
                cells["type"] = "text"
                cells["validation"] = "integer" if question.whole_number else "number"
                cells["minimum"] = _plain(question.minimum)
                cells["maximum"] = _plain(question.maximum)
            elif question.kind == "date":
                cells["type"] = "text"
                cells["validation"] = "date_ymd"
            else:
                # Tapestry's free text is a paragraph box, REDCap's "notes".
                cells["type"] = "notes"
            if question.describes:
                tags.append(TAG_DESCRIBES + question.describes)
            cells["annotation"] = " ".join(tags)
            yield _row(**cells)


def _row(**cells: str) -> list[str]:
    return [cells.get(key, "") for key in _KEYS]


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV text with Windows line ends, as REDCap writes its files."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


class RecordsError(ValueError):
    """An instrument whose records cannot be written as REDCap columns (message translated)."""


@dataclass(frozen=True)
class Column:
    """One records column: a question's answer, or one choice of a multiple-choice question."""

    name: str
    question: str
    kind: str
    choice: str | None = None


def checkbox_column(variable: str, code: str) -> str:
    """REDCap's column for one checkbox choice: `var___code`, code lower case, '.' and '-' as '_'."""
    return f"{variable}___{re.sub(r'[.-]', '_', code.lower())}"


def records_columns(spec: InstrumentSpec) -> list[Column]:
    """The records CSV's columns after record_id, in question order."""
    columns: list[Column] = []
    for section in spec.sections:
        for question in section.questions:
            if question.kind != "multiple":
                columns.append(Column(question.code, question.code, question.kind))
                continue
            names = [checkbox_column(question.code, choice.code) for choice in question.choices]
            if len(set(names)) != len(names):
                raise RecordsError(
                    _(
                        "%(code)s: two choice codes make the same REDCap column (REDCap "
                        "writes them in lower case, with _ for . and -). Change one code."
                    )
                    % {"code": question.code}
                )
            columns.extend(
                Column(name, question.code, question.kind, choice.code)
                for name, choice in zip(names, question.choices, strict=True)
            )
    return columns


def records_header(columns: Sequence[Column]) -> list[str]:
    return [RECORD_ID, *(column.name for column in columns)]


def records_rows(
    columns: Sequence[Column], responses: Iterable[Mapping[str, logic.Answer]]
) -> Iterator[list[str]]:
    """One row per response (its answers by question code: choice codes, plain decimals, ISO
    dates, text), numbered from 1 as record_id. Unanswered and hidden questions are blank;
    a multiple-choice question's columns are 1 or 0 (blank when it was not answered)."""
    plan = [(column.question, column.kind == "text", column.choice) for column in columns]
    for number, answers in enumerate(responses, start=1):
        row = [str(number)]
        append = row.append
        get = answers.get
        for question, is_text, choice in plan:
            value = get(question)
            if value is None:
                append("")
            elif choice is not None:
                append("1" if choice in value else "0")
            elif is_text:
                # Only free text can start like a formula (a choice code may be "-1").
                append(csv_cell(value))
            else:
                append(value)  # type: ignore[arg-type]
        yield row


class _Line:
    """A file for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_stream(*parts: Iterable[Sequence[str]], chunk_bytes: int = 32_768) -> Iterator[str]:
    """CSV text (Windows line ends, as REDCap writes) in pieces of about `chunk_bytes`, for a
    streaming response: a piece per line would cost a write per line. The cells are written as
    given: `records_rows` already guarded the free text."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    pending: list[str] = []
    size = 0
    for rows in parts:
        for row in rows:
            line = writer.writerow(row)
            pending.append(line)
            size += len(line)
            if size >= chunk_bytes:
                yield "".join(pending)
                pending, size = [], 0
    if pending:
        yield "".join(pending)
