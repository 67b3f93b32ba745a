"""HEAD answers like GET without a body and spends nothing; shared pages carry
nobody's query string."""

import pytest

from paywall.models import MeterRead
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(db):
    return ArticleFactory(access_level="free", headline="Ekspor kopi naik")


def test_head_answers_like_get_without_a_body_on_every_reader_page(client, article):
    section = article.section.slug
    for url in ("/", article.get_absolute_url(), f"/rubrik/{section}/", "/search/?q=kopi",
                "/sitemap.xml", "/sitemap-news.xml", "/robots.txt", "/rss/"):  # fmt: skip
        get = client.get(url)
        head = client.head(url)
        assert get.status_code == 200, url
        assert head.status_code == 200, url
        assert head.content == b"", url
        assert head["Content-Type"] == get["Content-Type"], url


@pytest.mark.parametrize("prefix", ["", "/api/v1/articles/"])
def test_head_never_spends_a_metered_read(client, prefix):
    article = ArticleFactory(access_level="metered")
    url = f"{prefix}{article.pk}" if prefix else article.get_absolute_url()
    for _ in range(5):
        assert client.head(url).status_code == 200
    assert not MeterRead.objects.exists()
    # The first real read is still there to be had.
    response = client.get(url)
    assert MeterRead.objects.count() == 1
    assert response.status_code == 200


def test_a_shared_gate_never_carries_a_visitors_query_string(client):
    article = ArticleFactory(access_level="premium")
    first = client.get(article.get_absolute_url() + "?utm_campaign=RAHASIA-KAMPANYE")
    assert 'data-paywall="premium_login"' in first.content.decode()
    assert "RAHASIA-KAMPANYE" not in first.content.decode()
    later = client.get(article.get_absolute_url())
    assert later["X-Page-Cache"] == "hit"
    assert "RAHASIA-KAMPANYE" not in later.content.decode()
    assert f'?next={article.get_absolute_url()}"' in later.content.decode()
