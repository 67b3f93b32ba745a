"""An article's address is what Django's ``reverse`` of the detail view gives,
whatever its values and the language, though ``article_path`` reverses it only
once per language (``articles.models``)."""

from datetime import UTC, datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.models import article_path, path_place

plain_slugs = st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - naive bounds, as Hypothesis asks
    max_value=datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def reversed_path(*, pk, slug, section_slug, moment) -> str:
    when = timezone.localtime(moment)
    return reverse(
        "website:detail",
        kwargs={
            "section": section_slug or "berita",
            "year": f"{when:%Y}",
            "month": f"{when:%m}",
            "day": f"{when:%d}",
            "pk": pk,
            "slug": slug,
        },
    )


@settings(max_examples=200, deadline=None)
@given(
    pk=st.integers(min_value=1, max_value=2**62),
    slug=plain_slugs,
    section_slug=st.one_of(st.none(), st.just(""), plain_slugs),
    moment=moments,
    language=st.sampled_from(["id", "en"]),
)
def test_the_address_is_the_one_reverse_gives(pk, slug, section_slug, moment, language):
    values = {"pk": pk, "slug": slug, "section_slug": section_slug, "moment": moment}
    with translation.override(language):
        assert article_path(**values) == reversed_path(**values)
        # What a list reads once and passes to each of its addresses.
        assert article_path(**values, place=path_place()) == reversed_path(**values)


def test_a_place_names_the_addresses_of_its_own_language_and_zone():
    moment = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
    values = {"pk": 7, "slug": "tahun-baru", "section_slug": "nasional", "moment": moment}
    with translation.override("en"):
        english = path_place()
    with timezone.override("UTC"):
        utc = path_place()

    assert article_path(**values, place=english) == "/en/nasional/2027/01/01/7/tahun-baru/"
    assert article_path(**values, place=utc) == "/nasional/2026/12/31/7/tahun-baru/"
    with pytest.raises(ValueError, match="aware"):
        article_path(**{**values, "moment": moment.replace(tzinfo=None)})


def test_the_local_day_of_publication_names_the_address():
    # 20:30 UTC on 31 December is already 1 January in Jakarta (UTC+7).
    moment = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)

    path = article_path(pk=7, slug="tahun-baru", section_slug="nasional", moment=moment)

    assert path == "/nasional/2027/01/01/7/tahun-baru/"


def test_a_slug_the_address_cannot_hold_is_refused_as_reverse_refuses_it():
    moment = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
    odd = {"pk": 9, "slug": "kopi-luwak", "section_slug": "ékonomi", "moment": moment}

    with pytest.raises(NoReverseMatch):
        reversed_path(**odd)
    with pytest.raises(NoReverseMatch):
        article_path(**odd)
