"""The shipped survey templates' Spanish follows the glossary, as the catalog does.

The templates are data (tapestry/surveys/data/templates/*.json), not catalog messages, so
scripts/check_translations.py does not read them; this applies its style rules to every
Spanish text in them. State and territory names are data names with their own Spanish names
(the network's), so the state question's choices are left out.
"""

import pytest

from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.services import template_names, template_spec
from tests.i18n.catalog_check import load

checker = load()
AVOIDED = checker.glossary_avoided_forms()


def _spanish_texts(spec: InstrumentSpec) -> list[tuple[str, str]]:
    texts = [(spec.title.en, spec.title.es), (spec.introduction.en, spec.introduction.es)]
    for section in spec.sections:
        texts.append((section.title.en, section.title.es))
        texts.append((section.introduction.en, section.introduction.es))
        for question in section.questions:
            texts.append((question.label.en, question.label.es))
            texts.append((question.help.en, question.help.es))
            if question.describes != "state":
                texts.extend((choice.label.en, choice.label.es) for choice in question.choices)
    return [(english, spanish) for english, spanish in texts if spanish]


@pytest.mark.parametrize("name", template_names())
def test_a_templates_spanish_follows_the_glossary(name: str) -> None:
    problems = {
        english: found
        for english, spanish in _spanish_texts(template_spec(name=name))
        if (found := checker.style_problems(checker.Message(english, spanish), AVOIDED))
    }

    assert problems == {}
