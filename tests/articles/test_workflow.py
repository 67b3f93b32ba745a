"""The workflow matrix: every staff role against every transition, plus validity rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles.models import Article, ArticleTransition
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from publishing import actions
from tests.factories import ArticleFactory, PhotoFactory, UserFactory

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
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


# --- the action classes ------------------------------------------------------------


def test_the_registry_offers_each_role_the_actions_the_buttons_show():
    reporter, editor = UserFactory(role=REPORTER), UserFactory(role=EDITOR)
    own = ArticleFactory(status=Status.DRAFT, created_by=reporter)
    names = {
        who: [a.name for a in actions.available_actions(user, own)]
        for who, user in (("reporter", reporter), ("editor", editor))
    }
    assert names == {
        "reporter": ["submit"],
        "editor": ["submit", "schedule", "publish"],
    }
    live = ArticleFactory(status=Status.PUBLISHED)
    assert [a.name for a in actions.available_actions(editor, live)] == ["unpublish"]
    assert actions.available_actions(reporter, live) == []


def test_each_action_owns_its_sources_target_and_permission():
    assert {
        name: (sorted(a.sources), a.target, a.permission) for name, a in actions.ACTIONS.items()
    } == {
        "submit": (["draft"], "in_review", "articles.submit_article"),
        "return_to_draft": (
            ["in_review", "scheduled", "unpublished"],
            "draft",
            "articles.publish_article",
        ),
        "schedule": (
            ["draft", "in_review", "scheduled", "unpublished"],
            "scheduled",
            "articles.publish_article",
        ),
        "publish": (
            ["draft", "in_review", "scheduled", "unpublished"],
            "published",
            "articles.publish_article",
        ),
        "unpublish": (["published"], "unpublished", "articles.publish_article"),
    }


def test_check_names_the_wrong_state_and_the_permission():
    editor, reporter = UserFactory(role=EDITOR), UserFactory(role=REPORTER)
    draft = ArticleFactory(status=Status.DRAFT, created_by=reporter)
    with pytest.raises(actions.WrongState, match="draft cannot become unpublished") as caught:
        actions.UNPUBLISH.check(editor, draft)
    assert (caught.value.status, caught.value.sources) == ("draft", ["published"])
    with pytest.raises(PermissionDenied, match="You may not unpublish articles"):
        actions.UNPUBLISH.check(reporter, draft)


def test_a_repeated_action_changes_nothing_and_logs_nothing():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.IN_REVIEW)
    now = timezone.now()
    actions.PUBLISH.execute(article_id=article.pk, by=editor, now=now)
    actions.PUBLISH.execute(article_id=article.pk, by=editor, now=now + timedelta(minutes=1))
    assert ArticleTransition.objects.filter(article=article).count() == 1
    article.refresh_from_db()
    assert article.published_at == now


def test_the_system_publishes_only_what_is_due():
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    now = timezone.now()
    actions.PUBLISH.execute(article_id=article.pk, by=None, now=now)  # not scheduled: no
    actions.SCHEDULE.execute(
        article_id=article.pk, by=None, publish_at=now + timedelta(minutes=5), now=now
    )
    actions.PUBLISH.execute(article_id=article.pk, by=None, now=now + timedelta(minutes=4))
    assert Article.objects.get(pk=article.pk).status == Status.SCHEDULED
    actions.PUBLISH.execute(article_id=article.pk, by=None, now=now + timedelta(minutes=6))
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Status.PUBLISHED, now + timedelta(minutes=5))


def test_returning_to_draft_cancels_the_schedule():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.IN_REVIEW)
    now = timezone.now()
    actions.SCHEDULE.execute(
        article_id=article.pk, by=editor, publish_at=now + timedelta(hours=1), now=now
    )
    actions.RETURN_TO_DRAFT.execute(article_id=article.pk, by=editor, now=now, note="belum")
    article.refresh_from_db()
    assert (article.status, article.publish_at) == (Status.DRAFT, None)
    assert article.transitions.first().note == "belum"
