"""What each role's desk shows on the admin's front page: reads only.

Each panel is one selector with a fixed number of queries (bounded lists,
relations joined), so a desk costs the same with ten articles or ten
thousand (``tests/desk/test_desks.py`` counts them per role). Which panels a
user gets follows their staff roles (``core.roles``); a superuser gets all.
Writes from the desk (workflow buttons, retries) go to the services the rest
of the system uses: ``publishing.actions``, ``publishing.pipeline``,
``publishing.effects``.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When
from django.utils import timezone

from analytics import popularity
from articles.models import Article, ArticleTransition
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, STAFF_ROLES, SUBSCRIPTION_STAFF
from publishing import actions, pipeline
from publishing.models import SideEffectRun, TaskFailure
from subscriptions.models import Subscription, WebhookEvent

Status = Article.Status
LIST_LIMIT = 20
# Statuses an article is sent back to its writer from.
RETURNED_FROM = (Status.IN_REVIEW, Status.SCHEDULED)
# How far ahead "payments due" looks.
PAYMENTS_AHEAD = timedelta(days=7)


def roles_of(user) -> frozenset[str]:
    """The staff roles of ``user`` (one query); a superuser holds every role."""
    if user.is_superuser:
        return frozenset(STAFF_ROLES)
    return frozenset(user.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True))


def _latest_transition(field_name: str):
    return Subquery(
        ArticleTransition.objects.filter(article=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values(field_name)[:1]
    )


def _own(user) -> Q:
    return Q(created_by=user) | Q(authors__user=user)


# --- Reporter -------------------------------------------------------------------------


def my_drafts(user) -> list[Article]:
    """Drafts the user started or writes, newest change first, not sent back to them."""
    ids = Article.objects.filter(_own(user), status=Status.DRAFT).values("pk")
    return list(
        Article.objects.filter(pk__in=ids)
        .annotate(last_from=_latest_transition("from_status"))
        # A draft never reviewed has no transition: NULL is "not returned".
        .filter(Q(last_from__isnull=True) | ~Q(last_from__in=RETURNED_FROM))
        .select_related("section")
        .order_by("-updated_at", "-pk")[:LIST_LIMIT]
    )


def returned_to_me(user) -> list[Article]:
    """The user's drafts an editor sent back, with who did it, when and the note."""
    ids = Article.objects.filter(_own(user), status=Status.DRAFT).values("pk")
    return list(
        Article.objects.filter(pk__in=ids)
        .annotate(
            last_from=_latest_transition("from_status"),
            returned_at=_latest_transition("at"),
            return_note=_latest_transition("note"),
            returned_by=_latest_transition("by__username"),
        )
        .filter(last_from__in=RETURNED_FROM)
        .select_related("section")
        .order_by("-returned_at", "-pk")[:LIST_LIMIT]
    )


# --- Editor ---------------------------------------------------------------------------


def review_queue(user) -> list[tuple[Article, list[actions.ArticleAction]]]:
    """Articles waiting for review, longest waiting first, each with the workflow
    actions ``user`` may take on it (``publishing.actions``: none they may not)."""
    queue = list(
        Article.objects.filter(status=Status.IN_REVIEW)
        .annotate(submitted_at=_latest_transition("at"))
        .select_related("section", "created_by")
        .order_by("submitted_at", "pk")[:LIST_LIMIT]
    )
    return [(article, actions.available_actions(user, article)) for article in queue]


@dataclass(frozen=True)
class TimelineItem:
    article: Article
    at: datetime
    published: bool
    offset: float  # percent of the day, for the drawn timeline


@dataclass(frozen=True)
class Timeline:
    day_start: datetime
    now_offset: float | None
    items: list[TimelineItem] = field(default_factory=list)
    hours: tuple[int, ...] = (0, 3, 6, 9, 12, 15, 18, 21)


def _day_offset(moment: datetime, day_start: datetime) -> float:
    seconds = (moment - day_start).total_seconds()
    return round(max(0.0, min(100.0, seconds / 864)), 2)  # 86 400 s = 100 %


def todays_schedule(*, now: datetime) -> Timeline:
    """Today, in the newsroom's zone: what was published and what is scheduled, by time."""
    local = timezone.localtime(now)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    rows = (
        Article.objects.filter(
            Q(status=Status.SCHEDULED, publish_at__gte=day_start, publish_at__lt=day_end)
            | Q(status=Status.PUBLISHED, published_at__gte=day_start, published_at__lt=day_end)
        )
        .annotate(
            at=Case(When(status=Status.PUBLISHED, then=F("published_at")), default=F("publish_at"))
        )
        .select_related("section")
        .order_by("at", "pk")[:100]
    )
    items = [
        TimelineItem(
            article,
            article.at,
            article.status == Status.PUBLISHED,
            _day_offset(article.at, day_start),
        )
        for article in rows
    ]
    return Timeline(day_start=day_start, now_offset=_day_offset(now, day_start), items=items)


@dataclass(frozen=True)
class Trouble:
    late: list[Article]
    failed_runs: list[SideEffectRun]
    failures: list[TaskFailure]

    def __bool__(self) -> bool:
        return bool(self.late or self.failed_runs or self.failures)


def late_and_failed(*, now: datetime) -> Trouble:
    """Scheduled articles past their time, side effects that failed, open task failures."""
    return Trouble(
        late=list(pipeline.late_articles(now=now).select_related("section")[:LIST_LIMIT]),
        failed_runs=list(
            SideEffectRun.objects.filter(status=SideEffectRun.Status.FAILED)
            .select_related("article")
            .order_by("-created_at", "-pk")[:LIST_LIMIT]
        ),
        failures=list(
            TaskFailure.objects.filter(resolved_at__isnull=True)
            .select_related("article")
            .order_by("-last_seen", "-pk")[:LIST_LIMIT]
        ),
    )


def most_read_now(*, now: datetime, limit: int = 5) -> list[Article]:
    """The last roll-up's most-read live articles (``analytics``), with their views."""
    return list(popularity.most_read(limit=limit, at=now).select_related("most_read"))


# --- Chief editor ---------------------------------------------------------------------


def output_per_section(*, now: datetime) -> list[dict]:
    """Articles first published per section over the last 7 and 30 days, most first."""
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    rows = (
        Article.objects.filter(first_published_at__gte=month, first_published_at__lte=now)
        .values("section__name")
        .annotate(
            week=Count("pk", filter=Q(first_published_at__gte=week)),
            month=Count("pk"),
        )
        .order_by("-month", "section__name")
    )
    return list(rows)


# --- Subscription staff ---------------------------------------------------------------


def failed_webhooks() -> list[WebhookEvent]:
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED)
        .only("pk", "provider", "type", "event_id", "attempts", "last_error", "received_at")
        .order_by("-received_at", "-pk")[:LIST_LIMIT]
    )


@dataclass(frozen=True)
class PaymentsDue:
    renewing: list[Subscription]
    past_due: list[Subscription]


def payments_due(*, now: datetime) -> PaymentsDue:
    """Renewals that charge within ``PAYMENTS_AHEAD``, and past-due ones still in grace."""
    S = Subscription.Status
    return PaymentsDue(
        renewing=list(
            Subscription.objects.filter(
                status__in=[S.TRIALING, S.ACTIVE],
                cancel_at_period_end=False,
                current_period_end__lte=now + PAYMENTS_AHEAD,
            )
            .select_related("user", "plan")
            .order_by("current_period_end", "pk")[:LIST_LIMIT]
        ),
        past_due=list(
            Subscription.objects.filter(status=S.PAST_DUE)
            .select_related("user", "plan")
            .order_by("grace_until", "pk")[:LIST_LIMIT]
        ),
    )


# --- The desk -------------------------------------------------------------------------


@dataclass
class Desk:
    roles: frozenset[str]
    now: datetime
    panels: dict = field(default_factory=dict)


def desk_for(user, *, now: datetime | None = None) -> Desk:
    """Every panel ``user``'s roles call for (a chief editor: the reporter's and the
    editor's, plus output per section)."""
    now = now or timezone.now()
    roles = roles_of(user)
    desk = Desk(roles=roles, now=now)
    panels = desk.panels
    if roles & {REPORTER, CHIEF_EDITOR}:
        panels["returned"] = returned_to_me(user)
        panels["drafts"] = my_drafts(user)
    if roles & {EDITOR, CHIEF_EDITOR}:
        panels["review_queue"] = review_queue(user)
        panels["schedule"] = todays_schedule(now=now)
        panels["trouble"] = late_and_failed(now=now)
        panels["most_read"] = most_read_now(now=now)
    if CHIEF_EDITOR in roles:
        panels["sections"] = output_per_section(now=now)
    if SUBSCRIPTION_STAFF in roles:
        panels["webhooks"] = failed_webhooks()
        panels["payments"] = payments_due(now=now)
    return desk
