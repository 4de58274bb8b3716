"""The "My Tapestry" panel for writers and reviewers of health information."""

from typing import Any

from django.test import Client
from django.urls import reverse

from tapestry.resources import services
from tapestry.resources.dashboard import texts_out_of_date, writer_panels
from tapestry.resources.tests.factories import PLAIN_ES, html, text_publish, text_write


def test_a_person_who_neither_writes_nor_reviews_sees_no_panel(bob_applicant: Any) -> None:
    assert writer_panels(bob_applicant) == []


def test_the_panel_counts_drafts_texts_to_review_and_translations_behind(
    sam_specialist: Any, paula_program_staff: Any, staff_signed_in: Any
) -> None:
    # Given Sam's draft, Sam's text waiting for review, and a published pair whose English
    # Sam changed after the Spanish
    text_write(author=sam_specialist, title="Sleep well")
    waiting = text_write(author=sam_specialist, title="Move more")
    services.text_submit(actor=sam_specialist, text=waiting)
    english = text_publish(text_write(author=sam_specialist), reviewer=paula_program_staff)
    spanish = services.translation_add(
        actor=sam_specialist,
        resource=english.resource,
        language="es",
        title="Duerma bien",
        body=html(PLAIN_ES),
    )
    services.text_save(
        actor=sam_specialist,
        text=english,
        title=english.title,
        summary=english.summary,
        body=english.body + "<p>Turn off the screen an hour before bed.</p>",
    )

    # Then Dana, who reviews, sees one text to review and one translation behind
    (panel,) = writer_panels(paula_program_staff)
    assert (panel.context["to_review"], panel.context["out_of_date"]) == (1, 1)
    assert list(texts_out_of_date()) == [spanish]
    # And Sam sees his drafts (the new one and the edited English), and nothing to review
    (panel,) = writer_panels(sam_specialist)
    assert (panel.context["drafts"], panel.context["to_review"]) == (3, 0)
    # And My Tapestry shows the panel with its link to the resources
    client: Client = staff_signed_in(paula_program_staff)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert reverse("resources:staff_list") in page
