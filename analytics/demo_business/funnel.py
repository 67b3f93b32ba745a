"""The year's funnel: gates, registrations, clicks, checkouts, subscriptions and
cancellations, written the way the roll-up writes what readers' requests recorded.

Each event is serialized by ``paywall.funnel.serialize`` (what ``record`` pushes)
and stored as ``analytics.funnel.store_events`` stores it (``_store``); the days are counted by
``recount_days`` and the subscriptions credited by ``attribute_pending``, as
the beat roll-up does. The context of each event is what its recording point
gives it: a gate's rules version and arm from its decision; an account event
(checkout, subscription) no rules version and the account's arm.

Gates of the last month are the replayed reads' (``reads.py``); before that,
a day's gates are drawn at the month's rate, scaled by the audience's growth,
each decided by the policy for a reader who has used their meter.
"""

import random
import uuid
from datetime import datetime, timedelta

from django.db import connection

from paywall.experiments import EXPOSING
from paywall.funnel import Event, parse, serialize
from paywall.meter import local_date
from paywall.models import Exposure
from paywall.policy import MeterView, Reason, Surface, decide
from paywall.rights import ReaderRights

from ..attribution import attribute_pending
from ..funnel import recount_days
from ..models import FunnelEvent
from .reads import READS_DAYS, rights_at

EXHAUSTED = (Reason.METER_EXHAUSTED, Reason.METER_EXHAUSTED_REGISTERED)
TOUCH_REASONS = {
    "metered": Reason.METER_EXHAUSTED_REGISTERED,
    "premium": Reason.SUBSCRIPTION_REQUIRED,
}


class Recorder:
    """Serialized events with seeded ids, and the exposures they imply."""

    def __init__(self, rng: random.Random, timeline):
        self.rng, self.timeline = rng, timeline
        self.items: list[str] = []
        self.exposures: dict[tuple[int, str], tuple[str, int | None, datetime]] = {}

    def add(
        self,
        kind,
        *,
        at,
        reader,
        user_id=None,
        article_id=None,
        reason="",
        rules_version="",
        experiment_id=None,
        arm="",
        amount_idr=0,
        subscription_id=None,
    ):
        self.items.append(
            serialize(
                kind,
                reader=reader,
                user_id=user_id,
                article_id=article_id,
                reason=str(reason),
                rules_version=rules_version,
                experiment_id=experiment_id,
                arm=arm,
                amount_idr=amount_idr,
                subscription_id=subscription_id,
                at=at.timestamp(),
                event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4).hex,
            )
        )

    def gate(self, *, at, reader, user_id, article_id, decision) -> None:
        """What ``record_gate`` records for a gated decision."""
        common = {
            "at": at,
            "reader": reader,
            "user_id": user_id,
            "article_id": article_id,
            "reason": decision.reason,
            "rules_version": decision.rules_version,
            "experiment_id": decision.experiment_id,
            "arm": decision.arm,
        }
        self.add(Event.GATE_IMPRESSION, **common)
        if decision.reason in EXHAUSTED:
            self.add(Event.METER_EXHAUSTED, **common)

    def expose(self, *, at, reader, user_id, experiment_id, arm, reason) -> None:
        """What ``note_exposure`` keeps: the first decision under an arm, per reader."""
        if arm and reason in EXPOSING:
            self.exposures.setdefault((experiment_id, reader), (arm, user_id, at))

    def account(self, kind, *, at, user_id, **fields) -> None:
        """What ``record_for_account`` records: no rules version, the account's arm."""
        found = self.timeline.arm(at, f"u:{user_id}")
        if found:
            fields.update(experiment_id=found[0].experiment.id, arm=found[1].key)
        self.add(kind, at=at, reader=f"u:{user_id}", user_id=user_id, **fields)


def record_funnel(
    *,
    seed: int,
    timeline,
    catalogue,
    readers: list,
    book,
    views: list,
    entitled: dict,
    now: datetime,
) -> dict:
    """Write the year's funnel events, daily counts, attributions and exposures."""
    rec = Recorder(random.Random(f"{seed}/funnel"), timeline)
    for view in views:  # the replayed month
        rec.expose(
            at=view.at,
            reader=view.reader,
            user_id=view.user_id,
            experiment_id=view.experiment_id,
            arm=view.arm,
            reason=view.reason,
        )
        if not view.granted:
            rec.gate(
                at=view.at,
                reader=view.reader,
                user_id=view.user_id,
                article_id=view.article_id,
                decision=view,
            )
    _earlier_gates(
        rec,
        seed=seed,
        catalogue=catalogue,
        readers=readers,
        entitled=entitled,
        views=views,
        now=now,
    )
    _readers_paths(rec, seed=seed, catalogue=catalogue, readers=readers, book=book, now=now)

    days = _store(rec.items)
    recount_days(days)
    attributed = 0
    while done := attribute_pending(now=now):
        attributed += done
    Exposure.objects.bulk_create(
        [
            Exposure(experiment_id=exp, reader=reader, arm=arm, user_id=user_id, first_seen=at)
            for (exp, reader), (arm, user_id, at) in sorted(rec.exposures.items())
        ],
        batch_size=2000,
    )
    return {"events": len(rec.items), "attributed": attributed, "exposures": len(rec.exposures)}


FIELDS = ["event_id", "kind", "at", "day", "reader", "user_id", "article_id", "reason",
          "rules_version", "experiment_id", "arm", "amount_idr", "subscription_id"]  # fmt: skip


def _store(items: list[str]) -> set:
    """``analytics.funnel.store_events`` for a year at once: the same rows (each
    event parsed by ``paywall.funnel.parse``, its day on the newsroom's clock),
    inserted with one ``executemany`` (the ORM's per-row work would take most
    of the seed's minute). The ids it points at were all written just before."""
    ops = connection.ops
    table = connection.ops.quote_name(FunnelEvent._meta.db_table)
    columns = ", ".join(ops.quote_name(FunnelEvent._meta.get_field(f).column) for f in FIELDS)
    marks = ", ".join(["%s"] * len(FIELDS))
    rows, days = [], set()
    for raw in items:
        row = parse(raw)
        row["day"] = local_date(row["at"])
        days.add(row["day"])
        row["at"] = ops.adapt_datetimefield_value(row["at"])
        row["day"] = ops.adapt_datefield_value(row["day"])
        rows.append(tuple(row[f] for f in FIELDS))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - names from the model
                rows[start : start + 5000],
            )
    return days


def _earlier_gates(rec, *, seed, catalogue, readers, entitled, views, now) -> None:
    """Gates before the replayed month: the month's daily rate, scaled by growth."""
    rng = random.Random(f"{seed}/earlier-gates")
    month_start = now - timedelta(days=READS_DAYS)
    per_day = sum(1 for v in views if not v.granted) / READS_DAYS
    registered_share = sum(1 for v in views if not v.granted and v.user_id) / max(
        1, sum(1 for v in views if not v.granted)
    )
    joined = [r.joined for r in readers]
    for days_ago in range(365, READS_DAYS, -1):
        day = now - timedelta(days=days_ago)
        growth = 0.45 + 0.55 * (1 - days_ago / 365)
        signed_up = sum(1 for j in joined if j <= day)
        for _ in range(round(per_day * growth * rng.uniform(0.8, 1.2))):
            at = day + timedelta(seconds=rng.uniform(0, 86400))
            if at >= month_start:
                break
            if signed_up and rng.random() < registered_share:
                reader = readers[rng.randrange(signed_up)]
                key = f"u:{reader.user_id}"
                rights = rights_at(
                    ReaderRights(authenticated=True, user_id=reader.user_id),
                    entitled.get(reader.user_id, ()),
                    at,
                )
                base = 10
            else:
                token = uuid.UUID(int=rng.getrandbits(128), version=4).hex
                key, rights, base = f"m:{token}", ReaderRights(meter_key=token), 3
            article = catalogue.pick(rng, at)
            rules = rec.timeline.rules_for(at, key)
            decision = decide(
                rights=rights,
                article=article,
                surface=Surface.PAGE,
                meter=MeterView(left=0),
                rules=rules,
                now=at,
            )
            if decision.granted:
                continue
            allowance = rules.allowance_for(authenticated=rights.authenticated)
            if decision.reason in EXHAUSTED and rng.random() > base / max(allowance, 1):
                continue  # a wider meter: fewer readers reach its end
            rec.expose(
                at=at,
                reader=key,
                user_id=rights.user_id,
                experiment_id=decision.experiment_id,
                arm=decision.arm,
                reason=decision.reason,
            )
            rec.gate(
                at=at, reader=key, user_id=rights.user_id, article_id=article.pk, decision=decision
            )


def _readers_paths(rec, *, seed, catalogue, readers, book, now) -> None:
    """Each reader's sign-up, and each checkout's way there: the gates that touched
    them, the click from the last one, the checkout, the subscription, cancellations."""
    rng = random.Random(f"{seed}/paths")
    for reader in readers:
        at = reader.joined
        article = catalogue.pick(rng, at) if rng.random() < 0.6 else None
        key = f"u:{reader.user_id}"
        rules = rec.timeline.rules_for(at, key)
        reason = ""
        if article is not None:
            reason = (
                Reason.REGISTRATION_REQUIRED
                if article.access_level == "registered"
                else Reason.METER_EXHAUSTED
            )
        rec.add(
            Event.REGISTRATION,
            at=at,
            reader=key,
            user_id=reader.user_id,
            article_id=article.pk if article else None,
            reason=reason,
            rules_version=rules.version,
            experiment_id=rules.experiment_id,
            arm=rules.arm,
        )
    for checkout in book.checkouts:
        user_id, at = checkout.reader.user_id, checkout.at
        key = f"u:{user_id}"
        touches = sorted(
            at - timedelta(hours=rng.uniform(0.1, 24 * 20)) for _ in range(rng.randint(1, 4))
        )
        last = None
        for touched in touches:
            if touched <= checkout.reader.joined:
                continue
            last = catalogue.pick(rng, touched)
            rules = rec.timeline.rules_for(touched, key)
            rec.add(
                Event.GATE_IMPRESSION,
                at=touched,
                reader=key,
                user_id=user_id,
                article_id=last.pk,
                reason=TOUCH_REASONS.get(last.access_level, Reason.SUBSCRIPTION_REQUIRED),
                rules_version=rules.version,
                experiment_id=rules.experiment_id,
                arm=rules.arm,
            )
        if last is not None and rng.random() < 0.7:
            rules = rec.timeline.rules_for(at, key)
            rec.add(
                Event.SUBSCRIBE_CLICK,
                at=at - timedelta(minutes=rng.uniform(1, 5)),
                reader=key,
                user_id=user_id,
                article_id=last.pk,
                reason=TOUCH_REASONS.get(last.access_level, Reason.SUBSCRIPTION_REQUIRED),
                rules_version=rules.version,
                experiment_id=rules.experiment_id,
                arm=rules.arm,
            )
        rec.account(Event.CHECKOUT_STARTED, at=at, user_id=user_id, amount_idr=checkout.amount)
    for sub in book.subscriptions:
        user_id = sub.reader.user_id
        rec.account(
            Event.SUBSCRIPTION_CREATED,
            at=sub.started,
            user_id=user_id,
            amount_idr=sub.price,
            subscription_id=sub.subscription.pk,
        )
        for cancelled in sub.cancelled:
            rec.account(
                Event.SUBSCRIPTION_CANCELLED,
                at=cancelled,
                user_id=user_id,
                subscription_id=sub.subscription.pk,
            )
