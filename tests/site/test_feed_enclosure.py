"""The RSS enclosure of an article's lead photo is an absolute URL, as RSS requires."""

import xml.etree.ElementTree as ET

import pytest

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/rss/", "/rss/rubrik/ekonomi/"])
def test_the_enclosure_url_is_absolute_on_the_site_url(client, settings, path):
    settings.SITE_URL = "https://koran.example"
    article = ArticleFactory(section__slug="ekonomi")
    ArticleFactory(section=article.section, lead_photo=None)

    response = client.get(path)

    rss = ET.fromstring(response.content)  # noqa: S314 - our own response
    enclosures = rss.findall("./channel/item/enclosure")
    assert [e.get("url") for e in enclosures] == [
        "https://koran.example" + article.lead_photo.image.url
    ]
