"""A month of reading: who opened which article when, and what the paywall said.

Each view is decided by ``paywall.policy.decide`` under the rules in force at
that moment, with the reader's meter as it stood; a granted metered read is
stored as ``open_article`` stores it (a ``MeterRead`` in its period, once per
article and period) and a gated one is kept for the funnel.
"""

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from articles.models import Article
from paywall.meter import period_key
from paywall.models import Meter, MeterRead
from paywall.policy import ArticleFacts, MeterView, Surface, decide
from paywall.rights import AD_FREE, EPAPER, PREMIUM_CONTENT, ReaderRights

READS_DAYS = 35  # the what-if replays 30; a few more so its window is always full
ENTITLEMENTS = {
    "adfree": frozenset({AD_FREE}),
    "premium": frozenset({AD_FREE, PREMIUM_CONTENT, EPAPER}),
}


@dataclass(frozen=True)
class View:
    """One article opened by one reader, and the paywall's answer."""

    reader: str  # the funnel's reader key: "u:<user id>" or "m:<meter key>"
    user_id: int | None
    article_id: int
    at: datetime
    reason: str
    granted: bool
    rules_version: str
    experiment_id: int | None = None
    arm: str = ""


@dataclass
class Catalogue:
    """The published articles, and which of them a reader is likely to open at a time."""

    facts: list[ArticleFacts]
    appeal: list[float]  # how readable each is (fixed per article, seeded)

    @classmethod
    def load(cls, *, rng: random.Random) -> "Catalogue":
        rows = (
            Article.objects.published()
            .select_related("section")
            .prefetch_related("topics")
            .order_by("published_at", "pk")
        )
        facts = [
            ArticleFacts(
                pk=a.pk,
                access_level=a.access_level,
                section_slug=a.section.slug if a.section_id else "",
                topic_slugs=frozenset(t.slug for t in a.topics.all()),
                published_at=a.published_at,
            )
            for a in rows
        ]
        return cls(facts=facts, appeal=[rng.lognormvariate(0, 0.8) for _ in facts])

    def __post_init__(self):
        self._published = [f.published_at for f in self.facts]
        self._day_cache: dict = {}

    def pick(self, rng: random.Random, at: datetime) -> ArticleFacts:
        """An article a reader opens at ``at``: published by then, fresher ones more
        often (the whole catalogue for moments before its oldest article)."""
        day = at.date()
        if day not in self._day_cache:
            out = bisect.bisect_right(self._published, at) or len(self.facts)
            weights = [
                self.appeal[i]
                / (1 + max((at - self.facts[i].published_at).total_seconds(), 0) / 86400) ** 1.3
                for i in range(out)
            ]
            self._day_cache[day] = (out, list(itertools.accumulate(weights)))
        out, cumulative = self._day_cache[day]
        return rng.choices(self.facts[:out], cum_weights=cumulative)[0]


def _times(rng: random.Random, *, since: datetime, until: datetime, count: int) -> list:
    span = (until - since).total_seconds()
    first = since + timedelta(seconds=span * rng.random() ** 3)  # most return soon after
    rest = (until - first).total_seconds()
    return sorted(
        [first] + [first + timedelta(seconds=rest * rng.random()) for _ in range(count - 1)]
    )


def read_month(
    *,
    seed: int,
    catalogue: Catalogue,
    visitors: list,
    readers: list,
    entitled: dict,
    rules_at,
    now: datetime,
) -> list[View]:
    """Every view of the last ``READS_DAYS`` days, decided and (when metered) counted.

    ``entitled``: user id -> [(from, until, plan code)] of their subscriptions;
    ``rules_at(moment, reader key)``: the rules that reader had then (their
    arm's, in an experiment). Writes the ``MeterRead`` rows (and a registered reader's
    ``Meter``, made on their first metered read) and returns all gated and
    metered views.
    """
    since = now - timedelta(days=READS_DAYS)
    views: list[View] = []
    reads: list[tuple] = []  # (meter key, article id, period, at)

    def replay(rng, rights, reader_key, meter_ref, moments):
        periods: dict = {}
        for at in moments:
            article = catalogue.pick(rng, at)
            rules = rules_at(at, reader_key)
            if rights.authenticated:
                rights_now = rights_at(rights, entitled.get(rights.user_id, ()), at)
            else:
                rights_now = rights
            key = period_key(at, rules=rules)
            read = periods.setdefault(key, set())
            left = max(rules.allowance_for(authenticated=rights.authenticated) - len(read), 0)
            decision = decide(
                rights=rights_now,
                article=article,
                surface=Surface.PAGE,
                meter=MeterView(left=left, read_ids=frozenset(read)),
                rules=rules,
                now=at,
            )
            if decision.reason == "free" or decision.reason in ("registered", "subscriber"):
                continue
            if decision.granted and decision.reason == "metered":
                if article.pk in read:
                    continue  # a re-read within the period: free, not counted
                read.add(article.pk)
                reads.append((meter_ref, article.pk, key, at))
            views.append(
                View(
                    reader=reader_key,
                    user_id=rights.user_id,
                    article_id=article.pk,
                    at=at,
                    reason=str(decision.reason),
                    granted=decision.granted,
                    rules_version=decision.rules_version,
                    experiment_id=decision.experiment_id,
                    arm=decision.arm,
                )
            )

    for visitor in visitors:
        rng = random.Random(f"{seed}/visitor/{visitor.token}")
        count = min(int(rng.paretovariate(1.2)) + rng.randint(0, 3), 60)
        rights = ReaderRights(meter_key=visitor.token.hex)
        moments = _times(rng, since=visitor.first_seen, until=now, count=count)
        replay(rng, rights, f"m:{visitor.token.hex}", ("m", visitor.meter_id), moments)

    for reader in readers:
        rng = random.Random(f"{seed}/reader/{reader.username}")
        if reader.joined >= now or rng.random() > 0.55:
            continue
        count = min(2 * int(rng.paretovariate(1.1)) + rng.randint(0, 6), 90)
        rights = ReaderRights(authenticated=True, user_id=reader.user_id)
        moments = _times(rng, since=max(since, reader.joined), until=now, count=count)
        replay(rng, rights, f"u:{reader.user_id}", ("u", reader.user_id), moments)

    _write_reads(reads)
    return views


def rights_at(rights: ReaderRights, subscriptions, at: datetime) -> ReaderRights:
    for start, until, plan_code in subscriptions:
        if start <= at and (until is None or at < until):
            return ReaderRights(
                authenticated=True, user_id=rights.user_id, entitlements=ENTITLEMENTS[plan_code]
            )
    return rights


def _write_reads(reads: list[tuple]) -> None:
    """Registered readers' meters (created at their first metered read), then the reads."""
    first_read: dict[int, datetime] = {}
    for (kind, ref), _article, _period, at in reads:
        if kind == "u":
            first_read[ref] = min(at, first_read.get(ref, at))
    Meter.objects.bulk_create(
        [Meter(user_id=user_id, created_at=at) for user_id, at in sorted(first_read.items())],
        batch_size=2000,
    )
    user_meters = dict(
        Meter.objects.filter(user_id__in=list(first_read)).values_list("user_id", "pk")
    )
    MeterRead.objects.bulk_create(
        [
            MeterRead(
                meter_id=ref if kind == "m" else user_meters[ref],
                article_id=article_id,
                period=period,
                read_at=at,
            )
            for (kind, ref), article_id, period, at in reads
        ],
        batch_size=2000,
    )
