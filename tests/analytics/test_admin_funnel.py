"""Editors see what each article earned: a list column and a panel on its page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.funnel import recount_days
from analytics.models import Attribution, FunnelEvent
from core.roles import EDITOR
from paywall.funnel import Event
from paywall.meter import local_date
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/articles/article/"


def credit(article, *, model=Attribution.Model.LAST_TOUCH, amount=65_000):
    Attribution.objects.create(
        subscription=SubscriptionFactory(), article=article, model=model, credited_idr=amount
    )


def row_of(html: str, article) -> str:
    return re.search(rf"<tr[^>]*>(?:(?!</tr>).)*?/{article.pk}/change/.*?</tr>", html, re.S).group(
        0
    )


def test_the_article_list_shows_last_touch_conversions_and_revenue(client):
    client.force_login(UserFactory(role=EDITOR))
    earner, other = ArticleFactory(), ArticleFactory()
    credit(earner)
    credit(earner, amount=25_000)
    credit(earner, model=Attribution.Model.FIRST_TOUCH)  # another model: not in the column
    html = client.get(LIST).content.decode()
    assert re.search(r"field-conversions[^>]*>2<", row_of(html, earner))
    assert "Rp90.000" in row_of(html, earner)
    assert re.search(r"field-conversions[^>]*>0<", row_of(html, other))
    ordered = client.get(f"{LIST}?o=-8").content.decode()  # by conversions, most first
    assert ordered.index(f"/{earner.pk}/change/") < ordered.index(f"/{other.pk}/change/")


def test_the_column_costs_no_query_per_row(client):
    client.force_login(UserFactory(role=EDITOR))
    credit(ArticleFactory())
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for _ in range(15):
        credit(ArticleFactory())
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_article_page_shows_its_credit_and_its_funnel(client):
    client.force_login(UserFactory(role=EDITOR))
    article = ArticleFactory(access_level="premium")
    credit(article, model=Attribution.Model.FIRST_TOUCH, amount=650_000)
    credit(article)
    now = timezone.now()
    for i, kind in enumerate([Event.GATE_IMPRESSION] * 3 + [Event.SUBSCRIBE_CLICK]):
        FunnelEvent.objects.create(
            event_id=f"e{i}", kind=kind, at=now, day=local_date(now), reader="m:x", article=article
        )
    recount_days([local_date(now), local_date(now - timedelta(days=40))])
    html = client.get(f"{LIST}{article.pk}/change/").content.decode()
    panel = html[html.index('class="funnel-summary"') :]
    assert "Rp650.000" in panel
    assert "Rp65.000" in panel
    assert "Gerbang ditampilkan: <strong>3</strong>" in panel
    assert "Klik berlangganan: <strong>1</strong>" in panel
    assert 'name="funnel_summary"' not in html  # read-only: nothing to post
