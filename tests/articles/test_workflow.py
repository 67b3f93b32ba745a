"""The workflow matrix: every staff role against every transition, plus validity rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles.models import Article, ArticleTransition
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from publishing import actions
from tests.factories import ArticleFactory, PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Article.Status

# transition -> (status it starts from, status it reaches)
TRANSITIONS = {
    "submit": (Status.DRAFT, Status.IN_REVIEW),
    "return_to_draft": (Status.IN_REVIEW, Status.DRAFT),
    "schedule": (Status.IN_REVIEW, Status.SCHEDULED),
    "publish": (Status.IN_REVIEW, Status.PUBLISHED),
    "unpublish": (Status.PUBLISHED, Status.UNPUBLISHED),
}
# who -> the transitions they may make
ALLOWED = {
    "reporter, own article": {"submit"},
    "reporter, someone else's": set(),
    "editor": set(TRANSITIONS),
    "chief editor": set(TRANSITIONS),
    "subscription staff": set(),
}
ROLE_OF = {
    "reporter, own article": REPORTER,
    "reporter, someone else's": REPORTER,
    "editor": EDITOR,
    "chief editor": CHIEF_EDITOR,
    "subscription staff": SUBSCRIPTION_STAFF,
}


def run(transition: str, *, article: Article, by, now):
    kwargs = {"article_id": article.pk, "by": by, "now": now}
    if transition == "schedule":
        kwargs["publish_at"] = now + timedelta(hours=3)
    return actions.ACTIONS[transition].execute(**kwargs)


@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("who", ALLOWED)
def test_each_role_may_make_exactly_its_transitions(who, transition):
    user = UserFactory(role=ROLE_OF[who])
    owner = user if who == "reporter, own article" else UserFactory(role=REPORTER)
    start, end = TRANSITIONS[transition]
    article = ArticleFactory(status=start, created_by=owner)
    now = timezone.now()

    if transition in ALLOWED[who]:
        run(transition, article=article, by=user, now=now)
        article.refresh_from_db()
        assert article.status == end
        log = ArticleTransition.objects.get(article=article)
        assert (log.from_status, log.to_status, log.by) == (start, end, user)
    else:
        with pytest.raises(PermissionDenied):
            run(transition, article=article, by=user, now=now)
        article.refresh_from_db()
        assert article.status == start
        assert not ArticleTransition.objects.filter(article=article).exists()


def test_a_reporter_who_is_a_byline_author_counts_as_owner():
    reporter = UserFactory(role=REPORTER)
    article = ArticleFactory(status=Status.DRAFT, created_by=UserFactory(role=EDITOR))
    article.authors.create(name="Reporter Uji", slug="reporter-uji", user=reporter)
    actions.SUBMIT.execute(article_id=article.pk, by=reporter, now=timezone.now())
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"headline": " "}, "headline"),
        ({"section": None}, "section"),
        ({"body": ""}, "body"),
        ({"lead_photo": None}, "lead photo"),
        ({"lead_photo__alt_text": ""}, "alt text"),
        ({"lead_photo__credit": ""}, "credit"),
    ],
)
def test_nothing_is_published_or_scheduled_without_what_a_page_needs(change, problem):
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.IN_REVIEW, lead_photo=PhotoFactory())
    for key, value in change.items():
        if key.startswith("lead_photo__"):
            setattr(article.lead_photo, key.split("__")[1], value)
            article.lead_photo.save()
        else:
            setattr(article, key, value)
    article.save()
    now = timezone.now()
    for transition in ("publish", "schedule"):
        with pytest.raises(ValidationError) as caught:
            run(transition, article=article, by=editor, now=now)
        assert problem in " ".join(caught.value.messages).lower()
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_an_impossible_move_is_refused_with_a_reason():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.PUBLISHED)
    with pytest.raises(ValidationError, match="cannot become in review"):
        actions.SUBMIT.execute(article_id=article.pk, by=editor, now=timezone.now())


def test_scheduling_in_the_past_is_refused():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.IN_REVIEW)
    now = timezone.now()
    with pytest.raises(ValidationError, match="future"):
        actions.SCHEDULE.execute(
            article_id=article.pk, by=editor, publish_at=now - timedelta(minutes=1), now=now
        )


def test_roles_exist_with_their_permissions_after_migrate():
    from django.contrib.auth.models import Group

    perms = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }
    assert {"submit_article", "add_photo", "change_article"} <= perms[REPORTER]
    assert "publish_article" not in perms[REPORTER]
    assert {"publish_article", "edit_any_article", "delete_article"} <= perms[EDITOR]
    assert "change_section" not in perms[EDITOR]
    assert {"change_section", "change_topic", "publish_article", "change_plan"} <= perms[
        CHIEF_EDITOR
    ]
    assert not any(codename.endswith("_article") for codename in perms[SUBSCRIPTION_STAFF])
    assert "change_revision" not in perms[CHIEF_EDITOR]
