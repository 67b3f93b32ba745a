"""The paywall decision for every access level × every reader state."""

import pytest
from django.test import RequestFactory

from paywall.policy import (
    GATED_REASONS,
    GRANTED_REASONS,
    Reader,
    access_for_request,
    cache_control_for,
    decide,
    entitlement_class,
    visible_body,
)
from tests.factories import ArticleFactory

SECRET = "RAHASIA-PARAGRAF-TIGA"

# reader state -> {access level: (granted, reason)}; metered rows are for a
# reader with allowance left.
MATRIX = {
    "anonymous": {
        "free": (True, "free"),
        "registered": (False, "registration_required"),
        "metered": (True, "metered"),
        "premium": (False, "premium_login"),
    },
    "registered": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "ad_free": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "upgrade_required"),
    },
    "premium": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "premium_trialing": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "past_due_in_grace": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "past_due_after_grace": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "canceled_paid_up": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "expired": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "staff": {
        "free": (True, "free"),
        "registered": (True, "staff"),
        "metered": (True, "staff"),
        "premium": (True, "staff"),
    },
}

CASES = [(state, level) for state, row in MATRIX.items() for level in row]


@pytest.mark.parametrize(("state", "level"), CASES)
def test_access_matrix(readers, state, level):
    article = ArticleFactory(access_level=level)
    reader = Reader(user=readers[state])
    decision = decide(reader=reader, article=article)
    assert (decision.granted, decision.reason) == MATRIX[state][level]
    body = visible_body(article, decision)
    # The hidden paragraphs leave the server exactly when the body is granted.
    assert (SECRET in body) is decision.granted
    assert "Paragraf pembuka" in body
    assert decision.reason in (GRANTED_REASONS if decision.granted else GATED_REASONS)


@pytest.mark.parametrize("state", ["premium", "canceled_paid_up", "past_due_in_grace", "staff"])
def test_entitled_text_is_private_and_teasers_may_be_shared(readers, state):
    premium = ArticleFactory(access_level="premium")
    granted = decide(reader=Reader(user=readers[state]), article=premium)
    gated = decide(reader=Reader(), article=premium)
    free = decide(reader=Reader(), article=ArticleFactory())
    assert cache_control_for(granted).startswith("private")
    assert cache_control_for(gated).startswith("public")
    assert cache_control_for(free).startswith("public")
    assert granted.cache_variant != gated.cache_variant


def test_metered_outcomes_are_never_shared(readers):
    article = ArticleFactory(access_level="metered")
    decision = decide(reader=Reader(), article=article)
    assert decision.reason == "metered"
    assert cache_control_for(decision).startswith("private")


@pytest.mark.parametrize(
    ("state", "klass"),
    [
        ("anonymous", "anonymous"),
        ("registered", "registered"),
        ("expired", "registered"),
        ("ad_free", "ad_free"),
        ("premium", "premium"),
        ("past_due_in_grace", "premium"),
    ],
)
def test_entitlement_class_is_what_the_reader_may_see(readers, state, klass):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = readers[state] or AnonymousUser()
    assert entitlement_class(request) == klass


def test_decide_does_not_write_the_meter(readers, django_assert_max_num_queries):
    from paywall.models import MeterRead

    article = ArticleFactory(access_level="metered")
    with django_assert_max_num_queries(3):
        decide(reader=Reader(user=readers["registered"]), article=article)
    assert not MeterRead.objects.exists()


def test_access_for_request_counts_a_registered_read_once(readers):
    from django.contrib.auth.models import AnonymousUser  # noqa: F401

    article = ArticleFactory(access_level="metered")
    request = RequestFactory().get("/")
    request.user = readers["registered"]
    first = access_for_request(request, article)
    again = access_for_request(request, article)
    assert first.granted
    assert first.meter_left == 9
    assert again.granted
    assert again.meter_left == 9
