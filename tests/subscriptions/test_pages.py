"""Reader pages (sign-up, login, reset, account, plans, checkout), the gate, and staff admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from paywall.policy import AccessDecision, Surface, decide
from paywall.rights import ANONYMOUS
from subscriptions.models import AuditEntry, CheckoutSession, Payment, Subscription
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory

S = Subscription.Status
pytestmark = pytest.mark.django_db


def test_plans_page_shows_idr_prices_and_is_shareable_for_anonymous(client, plans):
    response = client.get("/langganan/")
    html = response.content.decode()
    assert "Rp65.000" in html
    assert "Rp650.000" in html
    assert "Rp25.000" in html
    assert "Cache-Control" not in response or "private" not in response["Cache-Control"]


def test_signup_creates_an_account_and_logs_in(client):
    response = client.post(
        "/akun/daftar/",
        {
            "username": "sari",
            "email": "sari@example.com",
            "password1": "kopi-tubruk-2024",
            "password2": "kopi-tubruk-2024",
        },
    )
    assert response.status_code == 302
    assert client.get("/akun/").status_code == 200


def test_signup_with_a_taken_email_is_a_form_error(client):
    UserFactory(username="ada", email="ada@example.com")
    response = client.post(
        "/akun/daftar/",
        {
            "username": "lain",
            "email": "ADA@example.com",
            "password1": "kopi-tubruk-2024",
            "password2": "kopi-tubruk-2024",
        },
    )
    assert response.status_code == 200
    assert "Sudah ada akun dengan e-mail ini." in response.content.decode()  # Indonesian site
    assert not get_user_model().objects.filter(username="lain").exists()


def test_login_rotates_the_session_key(client):
    UserFactory(username="budi")
    client.get("/akun/masuk/")
    session = client.session
    session["marker"] = "x"
    session.save()
    before = session.session_key
    response = client.post("/akun/masuk/", {"username": "budi", "password": "newsroom-test"})
    assert response.status_code == 302
    assert client.session.session_key != before


def test_login_is_throttled_after_repeated_failures(client, settings):
    UserFactory(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/akun/masuk/", {"username": "target", "password": "salah"})
        assert response.status_code == 200  # the form again, with its error
    last = client.post("/akun/masuk/", {"username": "target", "password": "salah"})
    assert last.status_code == 429
    # Locked out: even the right password does not log in now.
    locked = client.post("/akun/masuk/", {"username": "target", "password": "newsroom-test"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link(client):
    user = UserFactory(username="lupa", email="lupa@example.com")
    response = client.post("/akun/sandi/lupa/", {"email": "lupa@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/akun/sandi/atur/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "sandi-baru-yang-kuat-9", "new_password2": "sandi-baru-yang-kuat-9"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("sandi-baru-yang-kuat-9")


def test_account_requires_login(client):
    response = client.get("/akun/")
    assert response.status_code == 302
    assert response["Location"].startswith("/akun/masuk/")


def test_account_page_shows_plan_status_renewal_and_payments(
    client, plans, django_assert_max_num_queries
):
    sub = SubscriptionFactory(plan=plans["premium"])
    for n in range(5):
        Payment.objects.create(
            user=sub.user,
            subscription=sub,
            amount=65_000,
            status="succeeded",
            provider_payment_id=f"p{n}",
            description="Premium",
        )
    client.force_login(sub.user)
    with django_assert_max_num_queries(14):
        response = client.get("/akun/")
    html = response.content.decode()
    assert 'data-plan="premium"' in html
    assert 'data-account-status="active"' in html
    assert "Rp65.000" in html
    assert html.count("<tr>") == 6
    renews = timezone.localtime(sub.current_period_end)
    assert f"{renews.day} " in html
    assert str(renews.year) in html
    assert "private" in response["Cache-Control"]


def test_reader_cancels_and_resumes_from_the_account_page(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    client.force_login(sub.user)
    client.post(f"/akun/langganan/{sub.pk}/batal/")
    sub.refresh_from_db()
    assert sub.status == S.CANCELED
    assert sub.cancel_at_period_end
    assert "Lanjutkan langganan" in client.get("/akun/").content.decode()
    client.post(f"/akun/langganan/{sub.pk}/lanjutkan/")
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE
    assert list(AuditEntry.objects.filter(subscription=sub).values_list("actor", flat=True)) == [
        sub.user.pk,
        sub.user.pk,
    ]


def test_a_reader_cannot_touch_someone_elses_subscription(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    client.force_login(UserFactory())
    assert client.post(f"/akun/langganan/{sub.pk}/batal/").status_code == 404
    sub.refresh_from_db()
    assert sub.status == S.ACTIVE


def test_change_plan_rotates_the_session_and_upgrades(client, plans):
    sub = SubscriptionFactory(plan=plans["adfree"])
    client.force_login(sub.user)
    before = client.session.session_key
    response = client.post(f"/akun/langganan/{sub.pk}/ganti-paket/", {"plan": "premium"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.plan.code == "premium"
    assert client.session.session_key != before


def test_change_plan_to_an_unknown_plan_is_refused_cleanly(client, plans):
    sub = SubscriptionFactory(plan=plans["adfree"])
    client.force_login(sub.user)
    response = client.post(f"/akun/langganan/{sub.pk}/ganti-paket/", {"plan": "emas"}, follow=True)
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.plan.code == "adfree"


def test_demo_checkout_pays_and_starts_the_trial_or_plan(client, plans):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/langganan/beli/premium/", {"billing_period": "year"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Rp650.000" in page.content.decode()
    before = client.session.session_key
    client.post(response["Location"], {"outcome": "pay"})
    client.post(response["Location"], {"outcome": "pay"})  # a double click
    sub = Subscription.objects.get(user=user)
    assert sub.status == S.TRIALING
    assert sub.billing_period == "year"
    assert client.session.session_key != before
    assert CheckoutSession.objects.get().status == "completed"


def test_demo_checkout_failure_changes_nothing(client, plans):
    user = UserFactory()
    client.force_login(user)
    location = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
    client.post(location, {"outcome": "fail"})
    assert not Subscription.objects.filter(user=user).exists()
    assert CheckoutSession.objects.get().status == "failed"


def test_checkout_of_another_readers_session_is_404(client, plans):
    owner = UserFactory()
    client.force_login(owner)
    location = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
    client.force_login(UserFactory())
    assert client.post(location, {"outcome": "pay"}).status_code == 404
    assert not Subscription.objects.exists()


def test_checkout_with_a_bad_period_or_free_plan_is_refused(client, plans):
    client.force_login(UserFactory())
    assert client.post("/langganan/beli/premium/", {"billing_period": "week"}).status_code == 302
    assert client.post("/langganan/beli/free/", {"billing_period": "month"}).status_code == 302
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize(
    ("reason", "expect"),
    [
        ("registration_required", "/akun/daftar/"),
        ("premium_login", "/langganan/"),
        ("subscription_required", "/langganan/"),
        ("upgrade_required", "/akun/"),
        ("meter_exhausted", "/akun/daftar/"),
        ("meter_exhausted_registered", "/langganan/"),
    ],
)
def test_the_gate_says_why_and_offers_the_next_step(reason, expect):
    request = RequestFactory().get("/berita/x/")
    html = render_to_string(
        "subscriptions/_gate.html",
        {
            "article": ArticleFactory.build(pk=1),
            "decision": AccessDecision(False, reason, 0),
            "request": request,
        },
    )
    assert f'data-paywall="{reason}"' in html
    assert f'href="{expect}' in html


def test_meter_notice_counts_down():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = render_to_string(
        "subscriptions/_meter_notice.html",
        {"decision": AccessDecision(True, "metered", 2), "request": request},
    )
    assert 'data-meter-left="2"' in html
    none = render_to_string(
        "subscriptions/_meter_notice.html",
        {"decision": AccessDecision(True, "free"), "request": request},
    )
    assert none.strip() == ""


def test_show_ads_is_false_only_for_ad_free_entitled_readers(rf, readers):
    from django.contrib.auth.models import AnonymousUser

    from subscriptions.context_processors import reader_access

    for state, shows in [
        ("anonymous", True),
        ("registered", True),
        ("expired", True),
        ("ad_free", False),
        ("premium", False),
        ("past_due_in_grace", False),
    ]:
        request = rf.get("/")
        request.user = readers[state] or AnonymousUser()
        assert reader_access(request)["show_ads"] is shows, state


def test_granted_premium_text_goes_out_private_on_the_article_page(client, readers):
    article = ArticleFactory(access_level="premium")
    client.force_login(readers["premium"])
    response = client.get(article.get_absolute_url())
    assert "RAHASIA-PARAGRAF-TIGA" in response.content.decode()
    assert "private" in response["Cache-Control"]
    client.logout()
    anonymous = client.get(article.get_absolute_url())
    assert "RAHASIA-PARAGRAF-TIGA" not in anonymous.content.decode()
    assert decide(rights=ANONYMOUS, article=article, surface=Surface.PAGE).reason == "premium_login"


# --- Staff admin ---------------------------------------------------------------------


@pytest.fixture
def subs_staff(db):
    return UserFactory(username="subs", role="Subscription staff")


def test_subscription_staff_see_only_the_subscriptions_admin(client, subs_staff, plans):
    client.force_login(subs_staff)
    index = client.get("/admin/").content.decode()
    assert "/admin/subscriptions/subscription/" in index
    assert "/admin/auth/group/" not in index
    assert "/admin/articles/" not in index
    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get("/admin/subscriptions/webhookevent/").status_code == 200
    assert client.get("/admin/subscriptions/auditentry/").status_code == 200


def test_staff_find_a_subscriber_by_email_and_see_everything(client, subs_staff, plans):
    sub = SubscriptionFactory(
        plan=plans["premium"],
        user=UserFactory(username="rina", email="rina.w@example.com", first_name="Rina"),
    )
    UserFactory(username="other", email="other@example.com")
    client.force_login(subs_staff)
    found = client.get("/admin/subscriptions/subscriber/", {"q": "rina.w@"}).content.decode()
    assert "rina.w@example.com" in found
    assert "other@example.com" not in found
    detail = client.get(f"/admin/subscriptions/subscriber/{sub.user.pk}/change/")
    assert detail.status_code == 200
    assert "Premium" in detail.content.decode()


def test_staff_extend_action_requires_a_reason(client, subs_staff, plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    end = sub.current_period_end
    client.force_login(subs_staff)
    url = "/admin/subscriptions/subscription/"
    data = {"action": "extend", "_selected_action": [sub.pk], "apply": "1", "days": "5"}
    response = client.post(url, {**data, "reason": ""})
    assert response.status_code == 200
    assert "required" in response.content.decode()
    sub.refresh_from_db()
    assert sub.current_period_end == end
    client.post(url, {**data, "reason": "Gangguan aplikasi"})
    sub.refresh_from_db()
    assert (sub.current_period_end - end).days == 5
    entry = AuditEntry.objects.get(action="extend")
    assert entry.actor == subs_staff
    assert entry.reason == "Gangguan aplikasi"


def test_staff_refund_and_comp_actions(client, subs_staff, plans):
    reader = UserFactory()
    charge = Payment.objects.create(
        user=reader, amount=65_000, status="succeeded", provider_payment_id="demo_x"
    )
    client.force_login(subs_staff)
    client.post(
        "/admin/subscriptions/payment/",
        {"action": "refund", "_selected_action": [charge.pk], "apply": "1", "reason": "Ganda"},
    )
    charge.refresh_from_db()
    assert charge.status == "refunded"
    client.post(
        "/admin/subscriptions/subscriber/",
        {
            "action": "comp",
            "_selected_action": [reader.pk],
            "apply": "1",
            "reason": "Hadiah",
            "days": "30",
            "plan": plans["premium"].pk,
        },
    )
    comp = Subscription.objects.get(user=reader)
    assert comp.provider == "comp"
    assert comp.status == S.ACTIVE


def test_demo_accounts_have_their_plans(db):
    from subscriptions.demo import seed_accounts, seed_plans
    from subscriptions.entitlements import entitlements_for

    seed_accounts(seed_plans())
    seed_accounts(seed_plans())  # idempotent
    User = get_user_model()
    assert entitlements_for(User.objects.get(username="reader")) == frozenset()
    assert entitlements_for(User.objects.get(username="adfree")) == {"ad_free"}
    assert "premium_content" in entitlements_for(User.objects.get(username="premium"))
    assert Subscription.objects.filter(user__username="premium").count() == 1


def test_comp_action_asks_for_a_reason_under_one_title(client, subs_staff, plans):
    reader = UserFactory()
    client.force_login(subs_staff)
    response = client.post(
        "/admin/subscriptions/subscriber/",
        {"action": "comp", "_selected_action": [reader.pk], "index": "0"},
    )
    html = response.content.decode()
    # The admin's own title (in the admin's language), not a second one.
    assert html.count("<h1>") == 1
    assert 'name="reason"' in html
    response = client.post(
        "/admin/subscriptions/subscriber/",
        {
            "action": "comp",
            "_selected_action": [reader.pk],
            "apply": "1",
            "reason": "   ",
            "days": "30",
            "plan": plans["premium"].pk,
        },
    )
    assert 'id="id_reason_error"' in response.content.decode()
    assert not Subscription.objects.filter(user=reader).exists()
