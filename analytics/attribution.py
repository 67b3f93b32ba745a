"""Which articles led to a subscription: first-touch and last-touch credit.

A touch is a funnel event of the reader that put an article in front of them
on the way to paying (``paywall.funnel.TOUCH_EVENTS``: a gate impression, a
subscribe click from a gate, a refused read on an exhausted meter), within
``ATTRIBUTION_WINDOW_DAYS`` before the subscription started (bounds
included). The reader is the account (``u:<id>``) and every anonymous meter
id that signed up or in as that account (``ReaderLink``), so touches made
before registering count.

The first touch and the last touch each get one ``Attribution`` row crediting
the subscription's first payment (its plan price while it has none, e.g. in a
trial), in IDR. A subscription with no touch in the window gets rows with no
article (direct). Rows are unique per (subscription, model): attributing again
changes nothing.

Editors read it per article (``with_conversions`` for the article list,
``article_funnel`` for an article's admin page).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from paywall.funnel import TOUCH_EVENTS, Event
from paywall.meter import local_date
from subscriptions.models import Payment, Subscription
from subscriptions.services.common import plan_price

from .models import Attribution, FunnelDaily, FunnelEvent, ReaderLink

PENDING_BATCH = 500


def window() -> timedelta:
    return timedelta(days=settings.ATTRIBUTION_WINDOW_DAYS)


def readers_of(user_id: int) -> list[str]:
    """The reader keys of an account: itself and the anonymous meters linked to it."""
    linked = ReaderLink.objects.filter(user_id=user_id).values_list("reader", flat=True)
    return [f"u:{user_id}", *linked]


def credited_amount(sub: Subscription) -> int:
    """The subscription's first payment in IDR, or its plan price before one."""
    first = (
        Payment.objects.filter(
            subscription=sub,
            kind=Payment.Kind.CHARGE,
            status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED),
        )
        .order_by("created_at", "pk")
        .values_list("amount", flat=True)
        .first()
    )
    if first is not None:
        return first
    return plan_price(sub.plan, sub.billing_period)


def attribute_subscription(subscription_id: int) -> list[Attribution]:
    """Credit one subscription first- and last-touch (idempotent)."""
    sub = Subscription.objects.select_related("plan").get(pk=subscription_id)
    touches = FunnelEvent.objects.filter(
        reader__in=readers_of(sub.user_id),
        kind__in=TOUCH_EVENTS,
        article__isnull=False,
        at__gte=sub.created_at - window(),
        at__lte=sub.created_at,
    )
    first = touches.order_by("at", "pk").first()
    last = touches.order_by("-at", "-pk").first()
    credited = credited_amount(sub)
    rows = [
        Attribution(
            subscription=sub,
            model=model,
            article_id=touch.article_id if touch else None,
            touched_at=touch.at if touch else None,
            touch_kind=touch.kind if touch else "",
            credited_idr=credited,
            subscribed_at=sub.created_at,
        )
        for model, touch in (
            (Attribution.Model.FIRST_TOUCH, first),
            (Attribution.Model.LAST_TOUCH, last),
        )
    ]
    Attribution.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Attribution.objects.filter(subscription=sub).order_by("model"))


def attribute_pending(*, now: datetime | None = None) -> int:
    """Attribute every subscription whose ``subscription_created`` event has no
    attribution yet. Returns how many were attributed."""
    now = now or timezone.now()
    pending = (
        FunnelEvent.objects.filter(kind=Event.SUBSCRIPTION_CREATED, subscription__isnull=False)
        .filter(~Exists(Attribution.objects.filter(subscription=OuterRef("subscription"))))
        .values_list("subscription_id", flat=True)
        .distinct()[:PENDING_BATCH]
    )
    done = 0
    for subscription_id in list(pending):
        attribute_subscription(subscription_id)
        done += 1
    return done


# --- What editors read ----------------------------------------------------------------


def with_conversions(articles, *, model: str = Attribution.Model.LAST_TOUCH):
    """``articles`` annotated with ``conversions`` (subscriptions credited to each
    under ``model``) and ``credited_idr`` (their credited revenue): two subqueries,
    no extra query per row."""
    credited = Attribution.objects.filter(article=OuterRef("pk"), model=model).values("article")
    return articles.annotate(
        conversions=Coalesce(Subquery(credited.annotate(n=Count("pk")).values("n")[:1]), Value(0)),
        credited_idr=Coalesce(
            Subquery(credited.annotate(total=Sum("credited_idr")).values("total")[:1]),
            Value(0),
        ),
    )


@dataclass(frozen=True)
class ArticleFunnel:
    """One article's funnel for its admin page."""

    credit: dict  # model -> (conversions, credited IDR)
    events: dict  # event kind -> count over the window
    days: int


def article_funnel(article_id: int, *, now: datetime | None = None) -> ArticleFunnel:
    """An article's conversions and credited revenue per model (all time), and its
    funnel events over the attribution window (from ``FunnelDaily``). Two queries."""
    now = now or timezone.now()
    credit = {model: (0, 0) for model in Attribution.Model.values}
    rows = (
        Attribution.objects.filter(article_id=article_id)
        .values("model")
        .annotate(n=Count("pk"), total=Sum("credited_idr"))
        .order_by()
    )
    for row in rows:
        credit[row["model"]] = (row["n"], row["total"] or 0)
    days = settings.ATTRIBUTION_WINDOW_DAYS
    since = local_date(now) - timedelta(days=days - 1)
    counted = (
        FunnelDaily.objects.filter(article_id=article_id, day__gte=since)
        .values("kind")
        .annotate(n=Sum("events"))
        .order_by()
    )
    events = {kind: 0 for kind in TOUCH_EVENTS}
    events.update({row["kind"]: row["n"] for row in counted})
    return ArticleFunnel(credit=credit, events=events, days=days)
