"""The Spanish catalog follows docs/glossary-es.md, and the check that says so catches what it
should (scripts/check_translations.py, which `make lint` runs; this file puts it in `make test`)."""

import pytest

from tests.i18n import catalog_check

check = catalog_check.load()
AVOIDED = check.glossary_avoided_forms()


def _problems(spanish: str) -> list[str]:
    return list(check.style_problems(check.Message(msgid="", msgstr=spanish), AVOIDED))


def test_every_catalog_entry_follows_the_glossary() -> None:
    assert check.check_style() == []


def test_the_glossary_retires_the_terms_the_issue_names() -> None:
    instead = {form.form: form.instead for form in AVOIDED}

    assert instead["doble factor"] == "verificación en dos pasos"
    assert instead["aliado comunitario"] == "socio comunitario"
    assert instead["Navegador de datos"] == "Explorador de datos"
    assert instead["tu"] == "usted, su, sus"


@pytest.mark.parametrize(
    ("spanish", "problem"),
    [
        ("Autenticación de doble factor", "uses “doble factor”"),
        ("Aliado comunitario", "uses “aliado comunitario”"),
        ("Comprueba tu carpeta de correo no deseado.", "uses “tu”"),
        ("Por favor introduzca el código.", "“Por favor” needs a comma after it"),
        ("Si tiene algún problema, por favor contáctenos.", "“Por favor” needs a comma after it"),
        ("Restablecer Contraseña", "Title Case: write it in sentence case"),
        ("Reenviar Verificación", "Title Case: write it in sentence case"),
    ],
)
def test_off_glossary_spanish_is_caught(spanish: str, problem: str) -> None:
    assert any(found.startswith(problem) for found in _problems(spanish)), _problems(spanish)


@pytest.mark.parametrize(
    "spanish",
    [
        "Por favor, introduzca el código de su aplicación de autenticación:",
        "Restablecer la contraseña",
        "Verificación en dos pasos",
        "Socio comunitario",
        "El código postal %(zip)s está en %(actual)s, no en %(chosen)s.",  # "zip" is a name
        '<a href="mailto:%(email)s">%(email)s</a>',  # markup is not prose
        "De Oriente Medio o del Norte de África",  # proper nouns keep their capitals
        "Capacitación en el uso de Internet",
        "Ya tiene una cuenta. Inicie sesión.",
    ],
)
def test_spanish_that_follows_the_glossary_passes(spanish: str) -> None:
    assert _problems(spanish) == []
