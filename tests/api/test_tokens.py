"""API tokens: stored hashed, scoped, expiring, revocable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from apitokens.models import ApiToken
from apitokens.services import hash_token, token_authenticate, token_create, token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_token_is_stored():
    token, raw = token_create(user=UserFactory(), name="app", scopes=["read"])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in str(stored)
    assert stored["key_hash"] == hash_token(raw)
    assert token_authenticate(raw) == token


def test_wrong_expired_revoked_or_inactive_tokens_do_not_authenticate():
    user = UserFactory()
    token, raw = token_create(user=user, name="app", scopes=["read"])
    assert token_authenticate(raw[:-1] + ("a" if raw[-1] != "a" else "b")) is None
    assert token_authenticate("nr_x") is None
    assert token_authenticate("") is None
    assert token_authenticate(raw, now=timezone.now()) == token

    expiring, raw_expiring = token_create(
        user=user, name="e", scopes=["read"], expires_at=timezone.now() + timedelta(hours=1)
    )
    assert token_authenticate(raw_expiring, now=timezone.now() + timedelta(hours=2)) is None

    token_revoke(token=token)
    assert token_authenticate(raw) is None

    _other, raw_other = token_create(user=user, name="o", scopes=["read"])
    user.is_active = False
    user.save()
    assert token_authenticate(raw_other) is None


def test_scopes_are_checked():
    with pytest.raises(ValidationError):
        token_create(user=UserFactory(), name="x", scopes=["admin"])
    with pytest.raises(ValidationError):
        token_create(user=UserFactory(), name="x", scopes=[])


def test_use_is_recorded_at_most_once_a_minute(django_assert_num_queries):
    token, raw = token_create(user=UserFactory(), name="app", scopes=["read"])
    now = timezone.now()
    with django_assert_num_queries(2):  # lookup + last_used_at
        token_authenticate(raw, now=now)
    with django_assert_num_queries(1):  # lookup only
        token_authenticate(raw, now=now + timedelta(seconds=30))


def test_management_command_prints_a_working_token(capsys):
    user = UserFactory(username="aplikasi")
    call_command("api_token_create", "aplikasi", "--scope", "read", "--scope", "write")
    raw = capsys.readouterr().out.strip()
    token = token_authenticate(raw)
    assert token.user == user
    assert token.scopes == ["read", "write"]
