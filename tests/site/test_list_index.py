"""The section, topic and author lists' indexes (``pagecache.listindex``): the
count behind "page n of N" and the end of every page, kept until the list
changes, so that a page after the first is a seek and no page counts.

Given a list whose index was built, when the list changes (a publish or an
unpublish through the pipeline, an expiry or an embargo lifting by the clock,
an edit outside the workflow), then the pages show exactly what counting and
an OFFSET would show at that moment."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.models import Article
from pagecache import listindex
from pagecache import store as page_cache
from publishing import actions, effects
from publishing.models import SideEffectRun
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, TopicFactory
from website import pageblocks
from website.views import PER_PAGE

pytestmark = pytest.mark.django_db


def _articles(n: int, *, start=None, same_minute_every: int = 3, **owners) -> list[Article]:
    """n live articles, newest first; every few share a publication time (the
    list is ordered by id within one)."""
    start = start or timezone.now() - timedelta(minutes=5)
    made = [
        ArticleFactory(
            headline=f"Kabar daftar {i:03d}.",
            published_at=start - timedelta(minutes=i // same_minute_every),
            **owners,
        )
        for i in range(n)
    ]
    return sorted(made, key=lambda a: (a.published_at, a.pk), reverse=True)


def _by_offset(kind: str, owner, *, at) -> list[int]:
    """Every live article of the list in page order, as OFFSET pages give them."""
    rows, _counted, _after = pageblocks._LISTINGS[kind]
    found, start = [], 0
    while page := rows.page(offset=start, limit=PER_PAGE, owner=owner, at=at):
        found += [row[0] for row in page]
        start += PER_PAGE
    return found


def _pages(kind: str, owner, *, at=None) -> tuple[int, list[list[int]]]:
    """The count and every page's ids, as a page of the site reads them."""
    at = at or timezone.now()
    listed = pageblocks.ListedArticles(kind, owner, at=at)
    count = listed.count()
    pages = [
        [row[0] for row in listed[start : min(start + PER_PAGE, count)]]
        for start in range(0, count, PER_PAGE)
    ]
    return count, pages


def _kept(kind: str, owner) -> listindex.ListIndex | None:
    return listindex._get(listindex._key(cache.get(listindex.TOKEN), kind, owner))


def _run_purge_effect(article: Article, to_status: str) -> None:
    """What the pipeline's worker does once the status change has committed."""
    transition = effects.latest_transition(article.pk, to_status)
    effects.start_side_effects(transition_id=transition.pk)
    run = SideEffectRun.objects.get(transition=transition, effect="purge_caches")
    assert effects.perform_side_effect(run_id=run.pk) is True


@pytest.mark.parametrize("kind", ["section", "topic", "author"])
def test_pages_from_the_index_are_the_offset_pages(kind):
    owner = {"section": SectionFactory, "topic": TopicFactory, "author": AuthorFactory}[kind]()
    owners = {"section": owner} if kind == "section" else {f"{kind}s": [owner]}
    made = _articles(47, **owners)
    ArticleFactory(status="draft", **owners)
    key = [owner.pk] if kind == "section" else owner.pk
    at = timezone.now()

    count, pages = _pages(kind, key, at=at)

    index = _kept(kind, key)
    assert index is not None
    assert index.count == 47 == count
    assert [len(page) for page in pages] == [20, 20, 7]
    assert sum(pages, []) == _by_offset(kind, key, at=at) == [a.pk for a in made]


def test_a_deep_page_seeks_from_the_end_of_the_page_before(django_assert_num_queries):
    topic = TopicFactory()
    made = _articles(45, topics=[topic])
    at = timezone.now()
    _pages("topic", topic.pk, at=at)  # builds the index
    listed = pageblocks.ListedArticles("topic", topic.pk, at=at)
    with django_assert_num_queries(1) as captured:  # the page alone: no count
        rows = listed[40:45]
    assert captured.captured_queries[0]["sql"].endswith("OFFSET 0")  # a seek, no walk
    assert [row[0] for row in rows] == [a.pk for a in made[40:]]


def test_a_purge_without_a_change_keeps_the_index_so_a_page_miss_counts_nothing(
    client, django_assert_num_queries
):
    topic = TopicFactory()
    _articles(25, topics=[topic])
    assert client.get(f"{topic.get_absolute_url()}?page=2").status_code == 200
    page_cache.purge_lists()  # what the bench does to imitate a publish
    # the topic by its slug and the page's rows: no count, no OFFSET walk
    with django_assert_num_queries(2):
        response = client.get(f"{topic.get_absolute_url()}?page=2")
    assert response["X-Page-Cache"] == "miss"
    assert "Halaman 2 dari 2" in response.content.decode()


def test_a_publish_through_the_pipeline_rebuilds_its_lists_before_the_purge(client):
    topic, author = TopicFactory(), AuthorFactory()
    made = _articles(40, topics=[topic], authors=[author])
    section = made[0].section
    count, pages = _pages("topic", topic.pk)
    assert (count, len(pages)) == (40, 2)
    due = ArticleFactory(
        headline="Kabar yang baru terbit.",
        status="scheduled",
        publish_at=timezone.now() - timedelta(seconds=1),
        published_at=None,
        section=section,
        topics=[topic],
        authors=[author],
    )

    actions.PUBLISH.execute(article_id=due.pk, by=None, now=timezone.now())
    _run_purge_effect(due, "published")

    # rebuilt by the pipeline, not by a reader
    assert _kept("topic", topic.pk).count == 41
    assert _kept("author", author.pk).count == 41
    assert _kept("section", [section.pk]).count == 2
    count, pages = _pages("topic", topic.pk)
    assert count == 41
    assert pages[0][0] == due.pk
    assert sum(pages, []) == [due.pk] + [a.pk for a in made]
    last = client.get(f"{topic.get_absolute_url()}?page=3").content.decode()
    assert "Halaman 3 dari 3" in last
    assert made[-1].headline in last


def test_an_unpublish_through_the_pipeline_moves_every_later_page_up_by_one(client):
    topic = TopicFactory()
    made = _articles(41, topics=[topic])
    _pages("topic", topic.pk)
    gone = made[3]

    actions.UNPUBLISH.execute(article_id=gone.pk, by=None, now=timezone.now())
    _run_purge_effect(gone, "unpublished")

    assert _kept("topic", topic.pk).count == 40
    count, pages = _pages("topic", topic.pk)
    assert count == 40
    assert len(pages) == 2
    assert sum(pages, []) == [a.pk for a in made if a.pk != gone.pk]
    assert gone.pk not in sum(pages, [])
    assert client.get(f"{topic.get_absolute_url()}?page=3").status_code == 404


def test_an_expiry_stops_the_index_at_that_moment_before_any_sweep_runs():
    author = AuthorFactory()
    made = _articles(21, authors=[author])
    expiring = made[5]
    expires = timezone.now() + timedelta(minutes=10)
    Article.objects.filter(pk=expiring.pk).update(expires_at=expires)
    _pages("author", author.pk)  # built while the article is live
    assert _kept("author", author.pk).until == expires

    later = expires + timedelta(seconds=1)  # the unpublish has not run yet
    count, pages = _pages("author", author.pk, at=later)

    assert count == 20
    assert len(pages) == 1
    assert expiring.pk not in pages[0]
    assert pages[0] == [a.pk for a in made if a.pk != expiring.pk]


def test_a_moment_of_another_list_leaves_this_lists_index_in_use(django_assert_num_queries):
    """An expiry or an embargo in one topic is not a change of another topic's
    list: its index stays usable past that moment and a deep page reads it."""
    kept_topic, other_topic = TopicFactory(), TopicFactory()
    _articles(45, topics=[kept_topic])
    elsewhere = _articles(3, topics=[other_topic])
    expires = timezone.now() + timedelta(minutes=10)
    Article.objects.filter(pk=elsewhere[0].pk).update(expires_at=expires)
    ArticleFactory(
        topics=[other_topic],
        published_at=timezone.now() - timedelta(seconds=30),
        embargo_until=expires - timedelta(minutes=5),
    )
    _pages("topic", kept_topic.pk)
    _pages("topic", other_topic.pk)
    assert _kept("topic", kept_topic.pk).until is None
    assert _kept("topic", other_topic.pk).until == expires - timedelta(minutes=5)

    later = expires + timedelta(minutes=1)
    listed = pageblocks.ListedArticles("topic", kept_topic.pk, at=later)
    assert listed.count() == 45
    with django_assert_num_queries(1) as captured:  # the page alone: no count
        page_3 = [row[0] for row in listed[40:45]]
    assert captured.captured_queries[0]["sql"].endswith("OFFSET 0")  # sought from the index
    assert page_3 == _by_offset("topic", kept_topic.pk, at=later)[40:]
    assert _pages("topic", other_topic.pk, at=later)[0] == 3  # one expired, one lifted


def test_an_embargo_lifting_adds_the_article_at_that_moment():
    section = SectionFactory()
    made = _articles(20, section=section)
    lifts = timezone.now() + timedelta(minutes=10)
    held = ArticleFactory(
        section=section, published_at=timezone.now() - timedelta(seconds=30), embargo_until=lifts
    )
    assert _pages("section", [section.pk]) == (20, [[a.pk for a in made]])

    count, pages = _pages("section", [section.pk], at=lifts)

    assert count == 21
    assert pages[0][0] == held.pk
    assert pages[1] == [made[-1].pk]


def test_an_edit_outside_the_workflow_retires_the_indexes():
    topic, other = TopicFactory(), TopicFactory()
    made = _articles(22, topics=[topic])
    _pages("topic", topic.pk)
    assert _kept("topic", topic.pk).count == 22

    made[0].topics.set([other])  # the admin's change form saves its topics
    assert _kept("topic", topic.pk) is None
    assert _pages("topic", topic.pk)[0] == 21

    moved = Article.objects.get(pk=made[1].pk)
    moved.published_at = timezone.now() - timedelta(days=30)  # now the oldest
    moved.save()
    count, pages = _pages("topic", topic.pk)
    assert count == 21
    assert pages[-1][-1] == moved.pk

    Article.objects.get(pk=made[2].pk).delete()
    assert _pages("topic", topic.pk)[0] == 20


def test_a_save_that_changes_no_listed_field_keeps_the_indexes():
    topic = TopicFactory()
    made = _articles(21, topics=[topic])
    _pages("topic", topic.pk)
    kept = _kept("topic", topic.pk)

    edited = Article.objects.get(pk=made[0].pk)
    edited.headline = "Judul yang diperbaiki."
    edited.save()

    assert _kept("topic", topic.pk) == kept


def test_a_section_page_counts_its_subsections_and_the_pipeline_rebuilds_it():
    parent = SectionFactory()
    child = SectionFactory(parent=parent)
    _articles(15, section=parent)
    _articles(10, section=child, start=timezone.now() - timedelta(minutes=2))
    owners = [parent.pk, child.pk]  # as the section page names them
    count, pages = _pages("section", owners)
    assert count == 25
    assert sum(pages, []) == _by_offset("section", owners, at=timezone.now())
    due = ArticleFactory(
        section=child,
        status="scheduled",
        publish_at=timezone.now() - timedelta(seconds=1),
        published_at=None,
    )
    assert {listindex.list_key(kind, owner) for kind, owner in listindex.lists_of(due)} == {
        listindex.list_key("section", [child.pk]),
        listindex.list_key("section", owners),
    }

    actions.PUBLISH.execute(article_id=due.pk, by=None, now=timezone.now())
    _run_purge_effect(due, "published")

    assert _kept("section", owners).count == 26
    assert _kept("section", [child.pk]).count == 11


@settings(max_examples=200, deadline=None)
@given(
    ends=st.lists(
        st.tuples(
            st.datetimes(
                min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - naive bounds, as Hypothesis asks
                max_value=datetime(2090, 1, 1),  # noqa: DTZ001
                timezones=st.sampled_from([UTC, ZoneInfo("Asia/Jakarta")]),
            ),
            st.integers(min_value=1, max_value=2**62),
        ),
        max_size=30,
    ),
    page=st.integers(min_value=0, max_value=35),
)
def test_a_kept_page_end_reads_back_as_the_same_moment_and_article(ends, page):
    """The packed page ends give back each page's (published_at, pk) exactly,
    and nothing past the last page kept."""
    index = listindex.ListIndex(
        at=timezone.now(), until=None, count=0, ends=listindex.pack_ends(ends), built=0
    )
    found = index.end_of_page_before((page + 1) * PER_PAGE)
    if page < len(ends):
        assert found == ends[page]
        assert found[0].utcoffset() == timedelta(0)
    else:
        assert found is None
