"""The desks: the admin's front page shows each role its own work, and nothing it may not act on."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import MostRead
from articles.models import Article, ArticleTransition
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from desk import site as desk_site
from publishing.models import SideEffectRun
from subscriptions.models import Subscription, WebhookEvent
from tests.factories import (
    ArticleFactory,
    PlanFactory,
    SectionFactory,
    SubscriptionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = Article.Status


def desk_html(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str, panel_id: str) -> str:
    """The HTML of one desk panel (empty when the desk does not show it)."""
    match = re.search(rf'<section[^>]*id="{panel_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def returned(article, *, by, note: str) -> None:
    ArticleTransition.objects.create(
        article=article, from_status=Status.IN_REVIEW, to_status=Status.DRAFT, by=by, note=note
    )


def local_midnight():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


# --- Reporter ---------------------------------------------------------------------------


def test_reporter_sees_own_drafts_and_what_was_returned_with_its_note(client):
    reporter = UserFactory(role=REPORTER)
    editor = UserFactory(role=EDITOR, username="redaktur")
    ArticleFactory(headline="Draf saya sendiri", status=Status.DRAFT, created_by=reporter)
    sent_back = ArticleFactory(
        headline="Draf dikembalikan", status=Status.DRAFT, created_by=reporter
    )
    returned(sent_back, by=editor, note="Tambahkan kutipan dari menteri")
    ArticleFactory(headline="Draf orang lain", status=Status.DRAFT, created_by=UserFactory())

    html = desk_html(client, reporter)

    drafts, back = panel(html, "desk-drafts"), panel(html, "desk-returned")
    assert "Draf saya sendiri" in drafts
    assert "Draf dikembalikan" not in drafts
    assert "Draf dikembalikan" in back
    assert "Tambahkan kutipan dari menteri" in back
    assert "redaktur" in back
    assert "Draf orang lain" not in html


def test_reporter_never_sees_the_review_queue_or_actions_they_cannot_take(client):
    reporter = UserFactory(role=REPORTER)
    queued = ArticleFactory(headline="Menunggu tinjauan", status=Status.IN_REVIEW)
    ArticleFactory(status=Status.SCHEDULED, publish_at=timezone.now() - timedelta(hours=2))

    html = desk_html(client, reporter)

    for hidden in (
        "desk-review",
        "desk-schedule",
        "desk-trouble",
        "desk-sections",
        "desk-webhooks",
    ):
        assert panel(html, hidden) == ""
    assert f"/admin/articles/article/{queued.pk}/workflow/" not in html
    assert "/admin/desk/retry/" not in html
    # And the buttons' targets refuse them too.
    late = Article.objects.get(status=Status.SCHEDULED)
    assert client.post(f"/admin/desk/retry/article/{late.pk}/").status_code == 403
    late.refresh_from_db()
    assert late.status == Status.SCHEDULED


def test_the_model_list_stays_below_the_desk(client):
    html = desk_html(client, UserFactory(role=REPORTER))
    assert 'id="all-content"' in html
    assert html.index('id="desk-drafts"') < html.index('id="all-content"')
    assert "/admin/articles/article/" in html[html.index('id="all-content"') :]


# --- Editor -----------------------------------------------------------------------------


def test_editor_reviews_from_the_desk_and_the_reporter_gets_the_note(client):
    reporter = UserFactory(role=REPORTER)
    article = ArticleFactory(
        headline="Harga cabai naik", status=Status.IN_REVIEW, created_by=reporter
    )
    editor = UserFactory(role=EDITOR)

    queue = panel(desk_html(client, editor), "desk-review")
    assert "Harga cabai naik" in queue
    for action in ("publish", "schedule", "return_to_draft"):
        assert f"/admin/articles/article/{article.pk}/workflow/{action}/" in queue
    assert "/workflow/submit/" not in queue

    response = client.post(
        f"/admin/articles/article/{article.pk}/workflow/return_to_draft/",
        {"note": "Sumber kedua belum ada", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    back = panel(desk_html(client, reporter), "desk-returned")
    assert "Harga cabai naik" in back
    assert "Sumber kedua belum ada" in back


def test_a_desk_button_never_redirects_off_site(client):
    article = ArticleFactory(status=Status.IN_REVIEW)
    client.force_login(UserFactory(role=EDITOR))
    response = client.post(
        f"/admin/articles/article/{article.pk}/workflow/return_to_draft/",
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == f"/admin/articles/article/{article.pk}/change/"


def test_todays_timeline_is_ordered_by_time_in_the_newsroom_zone(client):
    midnight = local_midnight()
    ArticleFactory(
        headline="Tayang sore", status=Status.SCHEDULED, publish_at=midnight + timedelta(hours=17)
    )
    ArticleFactory(
        headline="Tayang pagi", status=Status.PUBLISHED, published_at=midnight + timedelta(hours=6)
    )
    ArticleFactory(
        headline="Tayang siang",
        status=Status.SCHEDULED,
        publish_at=midnight + timedelta(hours=12, minutes=30),
    )
    ArticleFactory(
        headline="Tayang besok", status=Status.SCHEDULED, publish_at=midnight + timedelta(days=1)
    )

    timeline = panel(desk_html(client, UserFactory(role=EDITOR)), "desk-schedule")

    order = [timeline.index(h) for h in ("Tayang pagi", "Tayang siang", "Tayang sore")]
    assert order == sorted(order)
    assert "Tayang besok" not in timeline
    assert "06:00 WIB" in timeline
    assert "12:30 WIB" in timeline
    assert "17:00 WIB" in timeline
    assert "left: 25.00%" in timeline  # 06:00 drawn a quarter across the day


def test_editor_retries_a_late_publication_through_the_sweeps_function(client):
    late = ArticleFactory(
        headline="Terlambat tayang",
        status=Status.SCHEDULED,
        published_at=None,
        publish_at=timezone.now() - timedelta(minutes=10),
    )
    editor = UserFactory(role=EDITOR)
    trouble = panel(desk_html(client, editor), "desk-trouble")
    assert "Terlambat tayang" in trouble
    assert f"/admin/desk/retry/article/{late.pk}/" in trouble

    assert client.get(f"/admin/desk/retry/article/{late.pk}/").status_code == 405
    response = client.post(f"/admin/desk/retry/article/{late.pk}/")

    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == Status.PUBLISHED
    assert late.published_at == late.publish_at  # as the sweep publishes: "as of" its time
    assert late.transitions.get(to_status=Status.PUBLISHED).by is None
    assert "Terlambat tayang" not in panel(desk_html(client, editor), "desk-trouble")


def test_retry_of_an_article_no_longer_due_changes_nothing(client):
    later = ArticleFactory(
        status=Status.SCHEDULED, published_at=None, publish_at=timezone.now() + timedelta(hours=3)
    )
    client.force_login(UserFactory(role=EDITOR))
    client.post(f"/admin/desk/retry/article/{later.pk}/")
    later.refresh_from_db()
    assert later.status == Status.SCHEDULED


def test_editor_runs_a_failed_side_effect_again(client):
    article = ArticleFactory(headline="Efek gagal")
    transition = ArticleTransition.objects.create(
        article=article, from_status=Status.SCHEDULED, to_status=Status.PUBLISHED
    )
    run = SideEffectRun.objects.create(
        transition=transition,
        article=article,
        effect="notify:webhook",
        status=SideEffectRun.Status.FAILED,
        attempts=9,
        last_error="ConnectionError: timeout",
    )
    editor = UserFactory(role=EDITOR)
    trouble = panel(desk_html(client, editor), "desk-trouble")
    assert "ConnectionError: timeout" in trouble

    client.post(f"/admin/desk/retry/effect/{run.pk}/")

    run.refresh_from_db()
    assert run.status == SideEffectRun.Status.PENDING


def test_most_read_now_lists_the_last_rollup(client):
    first = ArticleFactory(headline="Paling dibaca")
    second = ArticleFactory(headline="Kedua terbanyak")
    now = timezone.now()
    MostRead.objects.create(article=second, rank=2, views=40, computed_at=now)
    MostRead.objects.create(article=first, rank=1, views=95, computed_at=now)

    most_read = panel(desk_html(client, UserFactory(role=EDITOR)), "desk-most-read")

    assert most_read.index("Paling dibaca") < most_read.index("Kedua terbanyak")
    assert "95" in most_read


# --- Chief editor -------------------------------------------------------------------------


def test_chief_editor_sees_everything_plus_output_per_section(client):
    now = timezone.now()
    economy = SectionFactory(name="Ekonomi", slug="ekonomi")
    markets = SectionFactory(name="Pasar", slug="pasar")
    for days in (1, 2, 20):
        ArticleFactory(section=economy, first_published_at=now - timedelta(days=days))
    ArticleFactory(section=markets, first_published_at=now - timedelta(days=10))
    ArticleFactory(section=markets, first_published_at=now - timedelta(days=40))

    html = desk_html(client, UserFactory(role=CHIEF_EDITOR))

    for shown in ("desk-drafts", "desk-review", "desk-schedule", "desk-trouble", "desk-sections"):
        assert panel(html, shown), shown
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td></tr>",
        panel(html, "desk-sections"),
    )
    assert rows == [("Ekonomi", "2", "3"), ("Pasar", "0", "1")]


# --- Subscription staff ---------------------------------------------------------------------


def test_subscription_staff_see_failed_webhooks_and_payments_due(client):
    now = timezone.now()
    WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_gagal_1",
        type="invoice.paid",
        created=now,
        payload={},
        status=WebhookEvent.Status.FAILED,
        last_error="KeyError: customer",
    )
    WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_ok",
        type="invoice.paid",
        created=now,
        payload={},
        status=WebhookEvent.Status.PROCESSED,
    )
    plan = PlanFactory()
    SubscriptionFactory(
        plan=plan,
        user=UserFactory(email="segera@example.com"),
        current_period_end=now + timedelta(days=3),
    )
    SubscriptionFactory(
        plan=plan,
        user=UserFactory(email="nanti@example.com"),
        current_period_end=now + timedelta(days=20),
    )
    SubscriptionFactory(
        plan=plan,
        user=UserFactory(email="telat@example.com"),
        status=Subscription.Status.PAST_DUE,
        grace_until=now + timedelta(days=2),
    )

    html = desk_html(client, UserFactory(role=SUBSCRIPTION_STAFF))

    webhooks, payments = panel(html, "desk-webhooks"), panel(html, "desk-payments")
    assert "evt_gagal_1" in webhooks
    assert "KeyError: customer" in webhooks
    assert "evt_ok" not in webhooks
    assert "segera@example.com" in payments
    assert "telat@example.com" in payments
    assert "nanti@example.com" not in payments
    assert panel(html, "desk-revenue")
    assert panel(html, "desk-review") == ""
    assert "/admin/subscriptions/subscription/" in html  # the model list is still there


def test_subscription_staff_desk_links_the_revenue_desk(client):
    revenue = panel(desk_html(client, UserFactory(role=SUBSCRIPTION_STAFF)), "desk-revenue")
    assert 'href="/admin/revenue/"' in revenue


def test_revenue_desk_is_linked_only_when_its_app_is_installed(monkeypatch):
    assert desk_site.revenue_desk_url() == "/admin/revenue/"
    monkeypatch.setattr(desk_site.apps, "is_installed", lambda name: name != "revenue")
    assert desk_site.revenue_desk_url() is None
    monkeypatch.setattr(desk_site.apps, "is_installed", lambda name: True)
    monkeypatch.setattr(desk_site, "REVENUE_URL_NAMES", ("revenue:no-such-page",))
    assert desk_site.revenue_desk_url() is None  # installed, but no page to link: no link


# --- Query counts ---------------------------------------------------------------------------


def fill(count: int, reporter) -> None:
    """``count`` of everything a desk lists."""
    now = timezone.now()
    editor = UserFactory(role=EDITOR)
    plan = PlanFactory()
    for n in range(count):
        ArticleFactory(status=Status.DRAFT, created_by=reporter)
        back = ArticleFactory(status=Status.DRAFT, created_by=reporter)
        returned(back, by=editor, note=f"catatan {n}")
        ArticleFactory(status=Status.IN_REVIEW, created_by=reporter)
        ArticleFactory(
            status=Status.SCHEDULED, published_at=None, publish_at=now - timedelta(minutes=5 + n)
        )
        published = ArticleFactory(first_published_at=now - timedelta(days=n))
        MostRead.objects.create(article=published, rank=n + 1, views=10, computed_at=now)
        transition = ArticleTransition.objects.create(
            article=published, from_status=Status.SCHEDULED, to_status=Status.PUBLISHED
        )
        SideEffectRun.objects.create(
            transition=transition, article=published, effect="purge_caches", status="failed"
        )
        WebhookEvent.objects.create(
            provider="stripe",
            event_id=f"evt_{count}_{n}",
            type="x",
            created=now,
            payload={},
            status=WebhookEvent.Status.FAILED,
        )
        SubscriptionFactory(plan=plan, current_period_end=now + timedelta(days=1))


# Session, user, permissions, roles, the admin's app list and log, then one query a panel.
MAX_QUERIES = {REPORTER: 8, EDITOR: 12, CHIEF_EDITOR: 15, SUBSCRIPTION_STAFF: 9}


@pytest.mark.parametrize("role", [REPORTER, EDITOR, CHIEF_EDITOR, SUBSCRIPTION_STAFF])
def test_each_desk_costs_the_same_queries_for_one_row_or_many(client, role):
    def count_queries() -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return len(queries)

    user = UserFactory(role=role)
    reporter = user if role in (REPORTER, CHIEF_EDITOR) else UserFactory(role=REPORTER)
    fill(1, reporter)
    few = count_queries()
    fill(6, reporter)
    many = count_queries()

    assert many == few, (few, many)
    assert many <= MAX_QUERIES[role]
