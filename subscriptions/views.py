"""Reader pages: sign-up, account, plans, checkout, and the webhook endpoint. Thin."""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api_http import error_response
from core.redirects import safe_next_url
from paywall import funnel
from paywall.rules import current_rules

from . import selectors
from .account_status import account_status, payment_rows
from .billing import WebhookSignatureError, get_provider, providers_that
from .billing.webhooks import webhook_receive
from .forms import ChangePlanForm, CheckoutForm, SignupForm
from .models import CheckoutSession, Plan, Subscription
from .rights import reader_rights
from .services.checkout import (
    checkout_complete,
    checkout_fail,
    checkout_open,
    checkout_redirect_url,
)
from .services.common import AlreadySubscribed, SubscriptionError
from .services.lifecycle import (
    current_subscription_for,
    subscription_cancel,
    subscription_change_plan,
    subscription_resume,
)

logger = logging.getLogger(__name__)


def _safe_next(request, default: str) -> str:
    return safe_next_url(request, default=default)


@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("subscriptions:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # login() rotates the session key and carries the anonymous meter over.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        funnel.record_registration(request, user_id=user.pk, rules_version=current_rules().version)
        messages.success(request, _("Welcome! Your free account is ready."))
        return redirect(_safe_next(request, reverse("subscriptions:account")))
    return render(
        request,
        "registration/signup.html",
        {
            "form": form,
            "next": safe_next_url(request, default=""),
            # The gate's article, kept through a form error (the form posts it back).
            "from_article": funnel.article_from(request.POST)
            or funnel.article_from(request.GET)
            or "",
            "from_reason": funnel.reason_from(request.POST) or funnel.reason_from(request.GET),
        },
    )


@never_cache
@login_required
def account(request):
    summary = selectors.reader_summary(request.user)
    context = {
        "summary": summary,
        "payments": payment_rows(selectors.payment_history(request.user)),
        "plans": selectors.plans_on_sale(),
        "portal_url": None,
        "provider": None,
    }
    sub = summary.subscription
    if sub is not None:
        try:
            provider = get_provider(sub.provider)
        except LookupError:  # a provider since removed: show the plan, offer no actions
            provider = None
        context["provider"] = provider
        if provider is not None and provider.supports_portal:
            context["portal_url"] = provider.portal_url(
                subscription=sub, return_url=request.build_absolute_uri()
            )
    provider = context["provider"]
    context["status"] = account_status(
        summary, reader_managed=bool(provider and provider.reader_managed)
    )
    return render(request, "subscriptions/account.html", context)


def plans(request):
    # From an article's gate (``?from=<article id>&reason=...``): a subscribe click.
    if "from" in request.GET:
        funnel.record_subscribe_click(
            request, rights=reader_rights(request), rules_version=current_rules().version
        )
    current = None
    if request.user.is_authenticated:
        current = current_subscription_for(request.user)
    response = render(
        request,
        "subscriptions/plans.html",
        {"plans": selectors.plans_on_sale(), "current": current},
    )
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-cache"
    return response


@never_cache
@login_required
@require_POST
def checkout_start(request, code):
    plan = get_object_or_404(Plan, code=code, is_active=True)
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose monthly or yearly billing."))
        return redirect("subscriptions:plans")
    try:
        # The open checkout for the same plan if there is one (a second click,
        # a second tab), else a new one; refused while a subscription runs.
        session = checkout_open(
            user=request.user,
            plan=plan,
            billing_period=form.cleaned_data["billing_period"],
            provider=get_provider().name,
            now=timezone.now(),
        )
        url = checkout_redirect_url(
            session=session,
            success_url=request.build_absolute_uri(reverse("subscriptions:account")),
            cancel_url=request.build_absolute_uri(reverse("subscriptions:plans")),
        )
    except AlreadySubscribed:
        messages.info(request, _("You already subscribe; change your plan here."))
        return redirect("subscriptions:account")
    except SubscriptionError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("subscriptions:plans")
    return redirect(url)


@never_cache
@login_required
def demo_checkout(request, session_id):
    """The demo provider's payment page: pay or fail with one click."""
    session = get_object_or_404(
        CheckoutSession.objects.select_related("plan"),
        pk=session_id,
        user=request.user,
        provider__in=providers_that("checkout_on_site"),
    )
    if request.method == "POST":
        now = timezone.now()
        if request.POST.get("outcome") == "pay":
            try:
                session = checkout_complete(session_id=session.pk, now=now)
            except SubscriptionError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("subscriptions:plans")
            if session.status == CheckoutSession.Status.DUPLICATE:
                messages.warning(
                    request,
                    _(
                        "You already have a running subscription, so nothing new started "
                        "and this payment was refunded."
                    ),
                )
                return redirect("subscriptions:account")
            request.session.cycle_key()  # new rights, new session key
            messages.success(request, _("Payment received. Thank you for subscribing!"))
            return redirect("subscriptions:account")
        checkout_fail(session_id=session.pk, now=now)
        messages.error(request, _("The payment failed. Nothing was charged."))
        return redirect("subscriptions:plans")
    return render(request, "subscriptions/demo_checkout.html", {"session": session})


def _own_subscription(request, pk) -> Subscription:
    return get_object_or_404(Subscription, pk=pk, user=request.user)


@never_cache
@login_required
@require_POST
def cancel(request, pk):
    sub = _own_subscription(request, pk)
    subscription_cancel(subscription_id=sub.pk, actor=request.user, now=timezone.now())
    messages.success(request, _("Your subscription will end at the end of the paid period."))
    return redirect("subscriptions:account")


@never_cache
@login_required
@require_POST
def resume(request, pk):
    sub = _own_subscription(request, pk)
    try:
        subscription_resume(subscription_id=sub.pk, actor=request.user, now=timezone.now())
    except AlreadySubscribed:
        messages.error(
            request, _("You already have another running subscription; this one cannot resume.")
        )
    except SubscriptionError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your subscription continues."))
    return redirect("subscriptions:account")


@never_cache
@login_required
@require_POST
def change_plan(request, pk):
    sub = _own_subscription(request, pk)
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a plan that is on sale."))
        return redirect("subscriptions:account")
    try:
        updated = subscription_change_plan(
            subscription_id=sub.pk,
            plan=form.cleaned_data["plan"],
            actor=request.user,
            now=timezone.now(),
        )
    except SubscriptionError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("subscriptions:account")
    request.session.cycle_key()  # rights changed: rotate the session key
    if updated.scheduled_plan_id:
        messages.success(request, _("Your plan changes at the end of the paid period."))
    else:
        messages.success(request, _("Your plan has changed."))
    return redirect("subscriptions:account")


def _webhook_error(*, status: int, code: str, message: str) -> JsonResponse:
    """An error in the API's shape (``core.api_http.error_response``): providers read
    JSON, not our HTML.

    The message is neutral on purpose: it never names a setting, a secret or
    why verification failed (that goes to the log only).
    """
    response = error_response(status=status, code=code, message=message)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
def webhook(request, provider):
    """A payment provider's webhook: verify the raw body, store the event once, 200.

    Bad or missing signature: 400 and nothing is stored; unknown provider: 404;
    both as JSON. Processing runs in Celery (``tasks.process_webhook_event``).
    """
    if request.method != "POST":
        response = _webhook_error(
            status=405, code="method_not_allowed", message="Webhooks are POSTed."
        )
        response["Allow"] = "POST"
        return response
    try:
        handler = get_provider(provider)
    except LookupError:
        return _webhook_error(status=404, code="not_found", message="Unknown payment provider.")
    try:
        event = handler.parse_webhook(payload=request.body, headers=request.headers)
    except WebhookSignatureError as exc:
        logger.info("rejected %s webhook: %s", provider, exc)
        return _webhook_error(
            status=400, code="bad_request", message="The webhook could not be verified."
        )
    stored, created = webhook_receive(provider=handler.name, event=event, now=timezone.now())
    return HttpResponse("ok" if created else "duplicate", content_type="text/plain")
