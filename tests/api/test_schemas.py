"""The content schemas serialise model objects; only ``for_reader`` gives a body."""

import pytest
from pydantic import ValidationError as PydanticValidationError

from paywall.policy import AccessDecision
from tests.factories import ArticleFactory
from website.schemas import ArticleCardOut, ArticleOut

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def _premium_article():
    return ArticleFactory(
        access_level="premium",
        body=f"<p>Satu.</p><p>Dua.</p><p>{SECRET}</p><p>Empat.</p>",
    )


def test_an_article_schema_without_a_decision_is_refused_not_given_the_whole_body():
    article = _premium_article()

    with pytest.raises(PydanticValidationError, match="for_reader"):
        ArticleOut.from_orm(article)


def test_for_reader_gives_the_teaser_when_the_decision_gates_and_everything_when_it_grants():
    article = _premium_article()

    gated = ArticleOut.for_reader(article, AccessDecision(False, "subscription_required"))
    granted = ArticleOut.for_reader(article, AccessDecision(True, "subscriber"))

    assert SECRET not in gated.body
    assert gated.access.model_dump() == {
        "granted": False,
        "reason": "subscription_required",
        "meter_left": None,
    }
    assert SECRET in granted.body
    assert granted.url == article.get_absolute_url()


def test_a_card_never_has_a_body():
    card = ArticleCardOut.from_orm(_premium_article()).model_dump()

    assert "body" not in card
    assert SECRET not in str(card)
