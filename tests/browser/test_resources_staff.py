"""A health educator writes a resource in Spanish and a colleague publishes it, all in Spanish:
Rosa (an engagement specialist who works in Spanish) writes it with the editor's toolbar from
the keyboard, sees her image refused without alternative text, and sends it for review; Mateo,
a Spanish-speaking reviewer, fills in the Clear Communication Index score sheet and publishes
it. Every page scanned with axe-core at desktop and phone (390 px) width.

The interface's Spanish strings come from the catalog (`Visit.t`), so the test reads the same
names whether or not a string is translated yet; the only Spanish words asserted are the ones
typed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Dialog, expect

from tapestry.accounts.api import Role
from tapestry.accounts.personas import Persona, persona_ensure
from tapestry.resources import clear_communication
from tapestry.resources.models import ResourceText, Status

from .conftest import PASSWORD, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSA = Persona(
    "rosa.educadora@tapestry.example", "Rosa Delgado", (Role.ENGAGEMENT_SPECIALIST,), "es"
)
MATEO = Persona("mateo.revisor@tapestry.example", "Mateo Ruiz", (Role.REVIEWER,), "es")

TITLE = "Las vacunas de la gripe"
HEADING = "Por qué vacunarse"
PARAGRAPH = (
    "La gripe es una enfermedad que se pasa de una persona a otra. "
    "La vacuna le ayuda a no enfermarse. También cuida a su familia. "
    "Es segura y no cuesta mucho. Puede ponerse la vacuna en la farmacia o con su médico."
)
LIST_ITEMS = ["Pregunte en su farmacia.", "Lleve su tarjeta del seguro."]
IMAGE = "/static/favicon.svg"  # the site's own: its CSP allows no other images
ALT = "Una enfermera pone una vacuna en el brazo de un hombre."


def signed_in(visit: Any, who: Any, journey: str, code: Callable[[], str]) -> Visit:
    person = visit(journey, "es")
    person.open("/")
    person.choose_language()
    person.sign_in(who.email, step="1-sign-in")
    expect(person.page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    person.page.get_by_label(person.label("Code")).fill(code())
    person.page.get_by_role("button", name=person.t("Sign In")).click()
    expect(person.page).to_have_url(re.compile(r"/me/$"))
    return person


def tick(page: Any, input_id: str) -> None:
    """Tick a USWDS checkbox or radio button by its label, as a person does (the input itself
    is drawn off screen)."""
    page.locator(f"label[for={input_id}]").click()
    expect(page.locator(f"#{input_id}")).to_be_checked()


def answer_dialogs(page: Any, answers: list[str]) -> None:
    """Answer the editor's prompts, in order, as a person typing into them."""

    def answer(dialog: Dialog) -> None:
        dialog.accept(answers.pop(0))

    page.on("dialog", answer)


def test_a_spanish_resource_is_written_with_the_keyboard_reviewed_and_published(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # The first request imports the whole site (slow on a busy machine), past the page's wait.
    Client().get("/")
    rosa = persona_ensure(ROSA, password=PASSWORD)
    mateo = persona_ensure(MATEO, password=PASSWORD)

    # Rosa opens the resources and starts a new one
    author = signed_in(visit, rosa, "resources-staff-author", authenticator_code)
    page = author.page
    author.open("/resources/staff/")
    expect(page.locator("#empty")).to_be_visible()
    author.check("2-list-empty")
    page.get_by_role("link", name=author.t("New resource")).click()
    expect(page).to_have_url(re.compile(r"/resources/staff/new/$"))
    author.check("3-new")

    # ...says what it is, in Spanish
    page.locator("#id_kind").select_option("article")
    tick(page, "id_focus_areas_0")
    tick(page, "id_audiences_0")
    tick(page, "id_language_1")  # Spanish
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_summary").fill("Cómo la vacuna le cuida a usted y a su familia.")

    # ...writes a heading with the toolbar, from the keyboard
    body = page.locator("#id_body")
    toolbar = page.get_by_role("toolbar", name=author.t("Format the text"))
    expect(toolbar).to_be_visible()
    body.focus()
    page.keyboard.type(HEADING)
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Shift+Tab")  # the toolbar is one Tab stop; its first button
    heading_button = toolbar.get_by_role("button", name=author.t("Heading"))
    expect(heading_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(body).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type(PARAGRAPH)
    page.keyboard.press("Enter")

    # ...a bulleted list: select the lines, then the arrow keys to the button
    page.keyboard.type(LIST_ITEMS[0])
    page.keyboard.press("Enter")
    page.keyboard.type(LIST_ITEMS[1])
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Shift+Tab")
    expect(heading_button).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name=author.t("Bulleted list"))).to_be_focused()
    page.keyboard.press("Enter")

    # ...an image without alternative text is refused; with it, it goes in
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    answer_dialogs(page, [IMAGE, "  ", IMAGE, ALT])
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("End")
    image_button = toolbar.get_by_role("button", name=author.t("Image"))
    expect(image_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#editor-status")).to_have_text(
        author.t("The image was not added: it needs alternative text describing it.")
    )
    assert "<img" not in body.input_value()
    page.keyboard.press("Shift+Tab")
    expect(image_button).to_be_focused()  # the toolbar remembers where its Tab stop was
    page.keyboard.press("Enter")

    # Then the textarea holds the tags and the preview shows them, cleaned, with the scores
    value = body.input_value()
    assert f"<h2>{HEADING}</h2>" in value
    assert f"<ul>\n  <li>{LIST_ITEMS[0]}</li>\n  <li>{LIST_ITEMS[1]}</li>\n</ul>" in value
    assert f'<img src="{IMAGE}" alt="{ALT}">' in value
    expect(page.locator("#preview-html h2")).to_have_text(HEADING)
    expect(page.locator("#preview-html img")).to_have_attribute("alt", ALT)
    expect(page.locator("#preview-html li")).to_have_count(2)
    expect(page.locator("#preview-scores li")).to_have_count(2)  # Fernández-Huerta, Szigriszt
    author.check("4-new-written")

    # ...she saves the draft and sends it for review
    page.get_by_role("button", name=author.t("Save the draft")).click()
    expect(page).to_have_url(re.compile(r"/resources/staff/texts/\d+/$"))
    text = ResourceText.objects.get()
    assert text.language == "es"
    assert text.meets_target is True
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    author.check("5-draft")
    page.get_by_role("button", name=author.t("Send for review")).click()
    expect(page.locator("#status")).to_have_text(author.t("In review", "resource text"))
    expect(page.locator("#not-your-review")).to_have_count(0)  # she may not review at all
    expect(page.locator("#score-sheet")).to_have_count(0)
    author.check("6-in-review")

    # Mateo, a colleague, finds it under "needs review"
    reviewer = signed_in(visit, mateo, "resources-staff-reviewer", authenticator_code)
    page = reviewer.page
    reviewer.open("/resources/staff/")
    tick(page, "id_needs_review")
    page.get_by_role("button", name=reviewer.t("Find")).click()
    reviewer.check("2-needs-review")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("#score-sheet")).to_be_visible()
    reviewer.check("3-to-review")

    # ...fills in the score sheet, the items in Spanish, and saves it
    for item in clear_communication.items():
        expect(page.get_by_text(item.question("es"), exact=False).first).to_be_visible()
        # yes (the first choice) meets each item but 17 ("does the reader do math?")
        tick(page, f"id_sheet_item_{item.number}_{0 if item.yes_scores else 1}")
    page.get_by_role("button", name=reviewer.t("Save the score sheet")).click()
    expect(page.locator("#sheet-score")).to_contain_text("100/100")

    # ...and publishes it
    page.get_by_role("button", name=reviewer.t("Publish")).click()
    expect(page.locator("#status")).to_have_text(reviewer.t("Published", "resource text"))
    expect(page.locator("#live")).to_be_visible()
    reviewer.check("4-published")

    published = ResourceText.objects.get()
    assert published.status == Status.PUBLISHED
    assert published.reviewer == mateo
    assert f'<img src="{IMAGE}" alt="{ALT}">' in published.published_body
