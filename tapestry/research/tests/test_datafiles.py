"""The warehouse's data files: what they load into, and the message a malformed row gives."""

import re
import shutil
from pathlib import Path

import pytest

from tapestry.research.warehouse import clinical, vocabulary
from tapestry.research.warehouse.datafiles import DATA_DIR, DataFileError
from tapestry.research.warehouse.generate import model as generator_model
from tapestry.research.warehouse.generate import sites


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the data files that a test may break."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- what the files hold ----------------------------------------------------------------------


def test_the_clinical_model_loads_with_every_table() -> None:
    # When the data files are read
    model = clinical.load()

    # Then each table is there, in file order, typed
    assert len(model.chronic) == 98
    assert model.chronic[0] == clinical.ChronicCondition(
        key="obesity",
        concept_id=433736,
        prevalence=0.38,
        race={"black": 1.3, "hispanic": 1.2, "asian": 0.4, "aian": 1.3, "nhpi": 1.4},
        min_age=10,
    )
    assert model.chronic_keys[:3] == ("obesity", "t2dm", "t1dm")
    assert len(model.acute) == 63
    assert len(model.treatments) == 107
    assert model.treatments[0] == clinical.Treatment(
        condition="t2dm",
        probability=0.78,
        choices=(clinical.WeightedConcept(concept_id=1503297, weight=1.0),),
    )
    assert [choice.concept_id for choice in model.treatments[0].choices] == [1503297]
    assert [(hormone.min_age, hormone.max_age, hormone.share) for hormone in model.hormones] == [
        (16, 46, 0.2),
        (48, 70, 0.05),
    ]
    assert len(model.measurements) == 38
    assert model.measurements[0] == clinical.Measurement(
        concept_id=3004249,
        unit_concept_id=8876,
        unit="mm[Hg]",
        mean=118.0,
        sd=13.0,
        low=75.0,
        high=230.0,
        decimals=0,
        rho=0.65,
    )
    assert len(model.shifts) == 60
    assert len(model.panels) == 13
    assert len(model.procedures) == 108
    assert model.procedures[-1] == clinical.ProcedureRule(
        procedure_id=4108565, condition="pvd", probability=0.02
    )
    assert len(model.observation_rules) == 12
    assert len(model.allergies) == 15
    assert model.lifestyle.former_smoker == 4310250
    assert model.causes_of_death[:3] == ("hf", "cad", "mi")


def test_every_concept_id_in_the_files_sits_beside_its_vocabulary_name() -> None:
    # When every (id, name) pair written in a data file is read
    pairs: list[tuple[int, str]] = []
    for path in sorted(DATA_DIR.glob("*")):
        text = path.read_text(encoding="utf-8")
        pairs += [
            (int(concept_id), name)
            for concept_id, name in re.findall(
                r'concept_id = (\d+), concept_name = "([^"]*)"', text
            )
        ]
    names = {
        concept_id: concept.concept_name
        for concept_id, concept in vocabulary.concept_by_id().items()
    }

    # Then each name is the vocabulary's name for that id
    assert len(pairs) > 100
    assert [(concept_id, name) for concept_id, name in pairs if names[concept_id] != name] == []


def test_the_sites_start_with_the_six_launch_sites() -> None:
    # When the sites are read
    loaded = sites.load_sites()

    # Then there are sixteen, the launch sites first, each mix over the ten groups
    assert [site.code for site in loaded][:6] == [
        "birmingham",
        "chicago",
        "detroit",
        "kansas_city",
        "new_york",
        "pasco",
    ]
    assert len(loaded) == 16
    assert loaded[6].name == "Atlanta, GA"
    assert all(len(site.mix) == 10 for site in loaded)
    assert round(sum(site.weight for site in loaded), 6) == 1.0


def test_the_survey_answer_model_loads() -> None:
    # When the survey answer shares are read
    answers = generator_model.load_survey_answers()

    # Then the shares are there with the questions they belong to
    assert answers.sex_shares == (0.405, 0.575, 0.002, 0.004)
    assert answers.nonresponse["annual_income"] == (0.05, 0.06)
    assert answers.education_cuts.shape == (7,)
    assert list(answers.disability_rates) == [
        "disability_blind",
        "disability_deaf",
        "disability_walking",
        "disability_dressing",
        "disability_errands",
        "disability_concentrating",
    ]


# -- malformed rows ---------------------------------------------------------------------------


def test_a_concept_name_that_does_not_match_its_id_names_the_file_and_row(data_dir: Path) -> None:
    # Given the allergies file with a wrong name beside tree pollen's id (row 2)
    path = data_dir / "allergies.csv"
    lines = path.read_text().splitlines()
    concept_id, _name, share = lines[1].split(",")
    lines[1] = f"{concept_id},Grass pollen,{share}"
    path.write_text("\n".join(lines) + "\n")

    # When the model is loaded
    # Then the error names the file, the row, the field and both names
    with pytest.raises(DataFileError) as error:
        clinical.load(data_dir)
    assert str(error.value) == (
        f"allergies.csv, row 2: 'concept_name' 'Grass pollen' does not match concept "
        f"{concept_id}, {vocabulary.concept_by_id()[int(concept_id)].concept_name!r}"
    )


def test_a_number_that_is_not_a_number_names_the_file_row_and_field(data_dir: Path) -> None:
    # Given a measurement whose mean is a word
    replace_in(data_dir / "measurements.csv", ",118.0,13.0,", ",high,13.0,")

    # When the model is loaded
    # Then the message says which field of which row is wrong
    with pytest.raises(
        DataFileError, match=r"^measurements\.csv, row 2: 'mean' must be a number, not 'high'$"
    ):
        clinical.load(data_dir)


def test_a_missing_column_value_is_refused(data_dir: Path) -> None:
    # Given a procedure rule with no probability
    path = data_dir / "procedures.csv"
    lines = path.read_text().splitlines()
    fields = lines[3].split(",")
    fields[4] = ""
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")

    # When the model is loaded
    # Then the missing field is named with its row
    with pytest.raises(DataFileError, match=r"^procedures\.csv, row 4: 'probability' is missing$"):
        clinical.load(data_dir)


def test_a_row_with_too_many_fields_is_refused(data_dir: Path) -> None:
    # Given a shift row with an extra field
    replace_in(data_dir / "measurement_shifts.csv", ",htn,17.0\n", ",htn,17.0,9\n")

    # When the model is loaded
    # Then the row is named
    with pytest.raises(
        DataFileError, match=r"^measurement_shifts\.csv, row 2: more fields than columns$"
    ):
        clinical.load(data_dir)


def test_a_misspelt_field_in_a_toml_table_is_refused(data_dir: Path) -> None:
    # Given the first chronic condition with "prevalance" for "prevalence"
    replace_in(data_dir / "chronic_conditions.toml", "prevalence = 0.38\n", "prevalance = 0.38\n")

    # When the model is loaded
    # Then the table is named and the field is reported missing
    with pytest.raises(
        DataFileError,
        match=r"^chronic_conditions\.toml, \[\[condition\]\] 1: 'prevalence' is missing$",
    ):
        clinical.load(data_dir)


def test_an_unknown_extra_field_is_refused(data_dir: Path) -> None:
    # Given the first chronic condition with a field no code reads
    replace_in(
        data_dir / "chronic_conditions.toml",
        "prevalence = 0.38\n",
        "prevalence = 0.38\nseverity = 2\n",
    )

    # When the model is loaded
    # Then the unknown field is named
    with pytest.raises(
        DataFileError,
        match=r"^chronic_conditions\.toml, \[\[condition\]\] 1: unknown field 'severity'$",
    ):
        clinical.load(data_dir)


def test_a_share_above_one_is_refused(data_dir: Path) -> None:
    # Given an observation rule with a share of 60 (meant as 60%)
    replace_in(data_dir / "observation_rules.csv", ",mi,0.6\n", ",mi,60\n")

    # When the model is loaded
    # Then the limit is stated
    with pytest.raises(
        DataFileError,
        match=r"^observation_rules\.csv, row 2: 'share' must be at most 1\.0, not 60\.0$",
    ):
        clinical.load(data_dir)


def test_a_treatment_for_an_unknown_condition_is_refused(data_dir: Path) -> None:
    # Given a treatment for a condition key that no row defines
    replace_in(
        data_dir / "treatments.toml",
        'condition = "gestational_diabetes"\n',
        'condition = "gestational_diabetis"\n',
    )

    # When the model is loaded
    # Then the key and the treatment are named
    with pytest.raises(
        DataFileError,
        match=r"^treatments\.toml, \[\[treatment\]\] 4: 'condition' 'gestational_diabetis' is not a chronic condition key$",
    ):
        clinical.load(data_dir)


def test_a_drug_in_a_treatment_that_is_not_curated_is_refused(data_dir: Path) -> None:
    # Given metformin's id changed to one outside the curated vocabulary
    replace_in(
        data_dir / "treatments.toml",
        '[[treatment]]\ncondition = "t2dm"\nprobability = 0.78\nchoices = [\n  { concept_id = 1503297,',
        '[[treatment]]\ncondition = "t2dm"\nprobability = 0.78\nchoices = [\n  { concept_id = 999,',
    )

    # When the model is loaded
    # Then the choice is named within its treatment
    with pytest.raises(
        DataFileError,
        match=r"^treatments\.toml, \[\[treatment\]\] 1, choices 1: 'concept_id' 999 is not in the curated vocabulary$",
    ):
        clinical.load(data_dir)


def test_a_toml_syntax_error_names_the_file(data_dir: Path) -> None:
    # Given a panel file cut off in the middle of a table
    path = data_dir / "measurement_panels.toml"
    path.write_text(path.read_text()[:400] + "\n[[panel\n")

    # When the model is loaded
    # Then the file is named with the parser's position
    with pytest.raises(DataFileError, match=r"^measurement_panels\.toml: .*line"):
        clinical.load(data_dir)


def test_a_site_with_a_bad_zip_code_is_refused(data_dir: Path) -> None:
    # Given Atlanta's ZIP code with a letter in it
    replace_in(data_dir / "sites.csv", ",GA,30303,", ",GA,3O303,")

    # When the sites are read
    # Then the row and the value are named
    with pytest.raises(
        DataFileError, match=r"^sites\.csv, row 8: 'zip_code' must be five digits, not '3O303'$"
    ):
        sites.load_sites(data_dir)


def test_the_launch_sites_must_come_first(data_dir: Path) -> None:
    # Given the sites file with Atlanta moved to the top
    path = data_dir / "sites.csv"
    lines = path.read_text().splitlines()
    lines.insert(1, lines.pop(7))
    path.write_text("\n".join(lines) + "\n")

    # When the sites are read
    # Then the rule is stated
    with pytest.raises(
        DataFileError, match=r"^sites\.csv: the first six rows must be schema\.LAUNCH_SITES"
    ):
        sites.load_sites(data_dir)


def test_a_race_answer_that_is_not_an_answer_code_is_refused(data_dir: Path) -> None:
    # Given an answer code misspelt in the race answers
    replace_in(data_dir / "race_answers.csv", "white,race_white,1.0\n", "white,race_whtie,1.0\n")

    # When the answers are read
    # Then the row is named
    with pytest.raises(
        DataFileError,
        match=r"^race_answers\.csv, row 2: 'answers' must be race_ethnicity answer codes",
    ):
        generator_model.load_race_answers(("white", "black"), data_dir)


def test_nonresponse_for_a_question_that_does_not_exist_is_refused(data_dir: Path) -> None:
    # Given a nonresponse rate for a question the survey does not ask
    replace_in(
        data_dir / "survey_answers.toml",
        "education = [0.012, 0.008]\n",
        "education = [0.012, 0.008]\nfavourite_colour = [0.1, 0.0]\n",
    )

    # When the survey answer model is read
    # Then the question is named
    with pytest.raises(
        DataFileError,
        match=r"^survey_answers\.toml, \[nonresponse\]: 'favourite_colour' is not a survey question$",
    ):
        generator_model.load_survey_answers(data_dir)
