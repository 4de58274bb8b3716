from __future__ import annotations

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group

from tapestry.core.api import audit_record
from tapestry.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_row_records_actor_action_and_target(alice_liaison: AbstractBaseUser) -> None:
    group = Group.objects.get(name="liaison")

    event = audit_record(
        actor=alice_liaison,
        action="thing.do",
        target=group,
        summary="Alice did a thing",
        data={"why": "testing"},
    )

    stored = AuditEvent.objects.get()
    assert stored == event
    assert stored.actor == alice_liaison
    assert stored.action == "thing.do"
    assert stored.target_type == "auth.group"
    assert stored.target_id == str(group.pk)
    assert stored.summary == "Alice did a thing"
    assert stored.data == {"why": "testing"}


def test_audit_row_for_an_anonymous_actor_has_no_actor() -> None:
    audit_record(actor=AnonymousUser(), action="directory.export")

    stored = AuditEvent.objects.get()
    assert stored.actor is None
    assert (stored.target_type, stored.target_id, stored.summary, stored.data) == ("", "", "", {})


def test_audit_summary_is_cut_to_the_column_length() -> None:
    audit_record(actor=None, action="long.summary", summary="x" * 600)

    assert AuditEvent.objects.get().summary == "x" * 500
