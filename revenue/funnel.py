"""The funnel from the paywall's gate to a subscription, and the articles, sections
and authors that brought subscribers: read from the daily roll-up's per-day
totals (``analytics.FunnelDayTotal``: a few rows a day, not one per article)
and the credits (``analytics.Attribution``, ranged by their copy of the
subscription's start, ``subscribed_at``), never from the raw events, so a page
costs the same at a million events.

- **Funnel steps** over a range: the events of each kind recorded on the range's
  days: gate impressions, subscribe clicks, registrations, checkouts started,
  subscriptions created (with their amount in IDR). Each step's share is of the
  gate impressions, and of the step before. Meter-exhausted and cancellation
  events are shown beside the steps, not in them.
- **Top converting** articles, sections and authors over a range: the new
  subscriptions (created in the range) credited to them by one attribution model
  (first or last touch), and the IDR credited. An article with two authors
  counts for each of them.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Sum

from analytics.models import Attribution, FunnelDayTotal
from articles.models import Article
from paywall.funnel import Event

from .params import DateRange

STEPS = (
    Event.GATE_IMPRESSION,
    Event.SUBSCRIBE_CLICK,
    Event.REGISTRATION,
    Event.CHECKOUT_STARTED,
    Event.SUBSCRIPTION_CREATED,
)
BESIDE = (Event.METER_EXHAUSTED, Event.SUBSCRIPTION_CANCELLED)
TOP = 20


@dataclass(frozen=True)
class Step:
    kind: str
    label: str
    events: int
    of_first: float | None  # percent of the gate impressions
    of_previous: float | None  # percent of the step before


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def event_totals(*, days: DateRange) -> dict[str, dict[str, int]]:
    """Events and IDR per kind over the range's days. One query."""
    rows = (
        FunnelDayTotal.objects.filter(day__gte=days.start, day__lte=days.end)
        .values("kind")
        .annotate(events=Sum("events"), amount=Sum("amount_idr"))
    )
    return {row["kind"]: {"events": row["events"], "amount": row["amount"]} for row in rows}


def funnel_steps(*, totals: dict[str, dict[str, int]]) -> list[Step]:
    """The steps, gate first, from ``event_totals``."""
    steps = []
    first = totals.get(STEPS[0], {}).get("events", 0)
    previous = None
    for kind in STEPS:
        events = totals.get(kind, {}).get("events", 0)
        steps.append(
            Step(
                kind=kind,
                label=str(Event(kind).label),
                events=events,
                of_first=_percent(events, first),
                of_previous=None if previous is None else _percent(events, previous),
            )
        )
        previous = events
    return steps


def funnel_by_day(*, days: DateRange, kinds=STEPS) -> dict[str, dict[date, int]]:
    """Events per kind per day (only days with events). One query."""
    rows = (
        FunnelDayTotal.objects.filter(day__gte=days.start, day__lte=days.end, kind__in=kinds)
        .values("day", "kind")
        .annotate(events=Sum("events"))
    )
    out: dict[str, dict[date, int]] = {kind: {} for kind in kinds}
    for row in rows:
        out[row["kind"]][row["day"]] = row["events"]
    return out


def gates_by_reason(*, days: DateRange) -> list[tuple[str, int]]:
    """Gate impressions per paywall reason over the range, most first. One query."""
    rows = (
        FunnelDayTotal.objects.filter(
            day__gte=days.start, day__lte=days.end, kind=Event.GATE_IMPRESSION
        )
        .values("reason")
        .annotate(events=Sum("events"))
        .order_by("-events", "reason")
    )
    return [(row["reason"], row["events"]) for row in rows]


# --- Attribution ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    name: str
    subscriptions: int
    credited_idr: int
    key: str = ""  # an id or slug, for the CSV


def _credits(*, days: DateRange, model: str):
    return Attribution.objects.filter(
        model=model,
        article__isnull=False,
        subscribed_at__gte=days.start_at,
        subscribed_at__lt=days.end_at,
    )


@dataclass(frozen=True)
class Credits:
    """Every credited article of a range with its subscriptions and IDR, and what
    the article belongs to: the three top lists are ranked from it in Python,
    so the credits are aggregated once (one pass over the range's credits with
    their articles and sections, then the authors of those articles)."""

    per_article: dict[int, tuple[int, int]]  # article id -> (subscriptions, IDR)
    headline: dict[int, str]
    section: dict[int, tuple[str, str]]  # article id -> (slug, name)
    authors: dict[int, list[tuple[str, str]]]  # article id -> [(slug, name)]


def credits(*, days: DateRange, model: str) -> Credits:
    """Two queries, whatever the data."""
    per_article, headline, section = {}, {}, {}
    rows = (
        _credits(days=days, model=model)
        .values(
            "article_id", "article__headline", "article__section__slug", "article__section__name"
        )
        .annotate(n=Count("pk"), idr=Sum("credited_idr"))
        .order_by()
    )
    for row in rows:
        article_id = row["article_id"]
        per_article[article_id] = (row["n"], row["idr"] or 0)
        headline[article_id] = row["article__headline"]
        section[article_id] = (row["article__section__slug"], row["article__section__name"])
    authors: dict[int, list[tuple[str, str]]] = {}
    # Asked even when nothing was credited (no article has id 0), so the page
    # costs the same queries whatever the data.
    links = Article.authors.through.objects.filter(article_id__in=list(per_article) or [0])
    for row in links.values("article_id", "author__slug", "author__name"):
        authors.setdefault(row["article_id"], []).append((row["author__slug"], row["author__name"]))
    return Credits(per_article=per_article, headline=headline, section=section, authors=authors)


def _ranked(totals: dict, names: dict, limit: int) -> list[Credit]:
    """Most subscriptions first, then most IDR, then by key (as the SQL did)."""
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return [
        Credit(name=names.get(key) or "", key=str(key), subscriptions=n, credited_idr=idr)
        for key, (n, idr) in order[:limit]
    ]


def _grouped(found: Credits, groups_of) -> tuple[dict, dict]:
    totals: dict = {}
    names: dict = {}
    for article_id, (n, idr) in found.per_article.items():
        for key, name in groups_of(article_id):
            total = totals.setdefault(key, [0, 0])
            total[0] += n
            total[1] += idr
            names[key] = name
    return {k: tuple(v) for k, v in totals.items()}, names


def top_articles(
    *, days: DateRange, model: str, limit: int = TOP, found: Credits | None = None
) -> list[Credit]:
    found = found or credits(days=days, model=model)
    return _ranked(found.per_article, found.headline, limit)


def top_sections(
    *, days: DateRange, model: str, limit: int = TOP, found: Credits | None = None
) -> list[Credit]:
    found = found or credits(days=days, model=model)
    totals, names = _grouped(found, lambda a: [found.section.get(a, ("", ""))])
    return _ranked(totals, names, limit)


def top_authors(
    *, days: DateRange, model: str, limit: int = TOP, found: Credits | None = None
) -> list[Credit]:
    """An article with two authors counts for each of them; one without, for none."""
    found = found or credits(days=days, model=model)
    totals, names = _grouped(found, lambda a: found.authors.get(a, []))
    return _ranked(totals, names, limit)
