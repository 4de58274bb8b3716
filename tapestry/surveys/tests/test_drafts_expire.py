"""Half-finished answers are not kept for ever: the daily job deletes stale drafts and links."""

import datetime

import pytest
from django.utils import timezone

from tapestry.surveys.models import AccessToken, Draft
from tapestry.surveys.services import answering_start, drafts_expire, token_issue
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def test_drafts_untouched_past_the_limit_go_with_their_links_and_fresh_ones_stay() -> None:
    instrument = instrument_make()
    answering_start(instrument=instrument, language="en")
    answering_start(instrument=instrument, language="es")
    stale = Draft.objects.filter(language="en")
    stale.update(updated_at=timezone.now() - datetime.timedelta(days=91))
    stale_token_id = stale.get().token_id
    assert stale_token_id is not None

    deleted = drafts_expire()

    assert deleted == 1
    assert list(Draft.objects.values_list("language", flat=True)) == ["es"]
    assert not AccessToken.objects.filter(pk=stale_token_id).exists()


def test_used_links_and_recent_unopened_invitations_are_kept() -> None:
    instrument = instrument_make()
    token_issue(instrument=instrument)
    token_issue(instrument=instrument)
    old_and_used = AccessToken.objects.order_by("pk")[:1]
    AccessToken.objects.filter(pk__in=old_and_used).update(
        used_at=timezone.now(), created_at=timezone.now() - datetime.timedelta(days=400)
    )

    drafts_expire()

    assert AccessToken.objects.count() == 2


def test_an_unopened_invitation_past_the_limit_expires() -> None:
    instrument = instrument_make()
    token_issue(instrument=instrument)
    AccessToken.objects.update(created_at=timezone.now() - datetime.timedelta(days=91))

    drafts_expire()

    assert not AccessToken.objects.exists()
