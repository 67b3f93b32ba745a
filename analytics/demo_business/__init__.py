"""A believable demo business for ``seed_demo``: a year of readers, subscriptions,
payments, reads, funnel events, paywall rules and experiments, so every figure
on the revenue desk has a shape.

Deterministic (one seed gives the same business for the same ``now``) and
idempotent (a business already there is left alone). Everything is written in
one transaction: a seed interrupted half-way leaves nothing behind.

Layers: this lives in ``analytics`` because it needs the apps below it (the
subscription services, the paywall's policy and meter, the articles).
"""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .funnel import record_funnel
from .ledger import BulkLedger, ServiceLedger, settle_timestamps
from .people import USERNAME_PREFIX, make_readers, make_visitors, username
from .reads import READS_DAYS, Catalogue, read_month
from .rules import seed_rules_history
from .subscribers import live_subscriptions

DEFAULT_SEED = 12  # a year with every subscription state in the small business too


@dataclass(frozen=True)
class Scale:
    readers: int  # registered accounts, signing up over the year
    visitors: int  # anonymous meter ids seen in the last month


SCALES = {
    "small": Scale(readers=500, visitors=500),
    "full": Scale(readers=3000, visitors=7000),
}


def business_exists() -> bool:
    return get_user_model().objects.filter(username=username(1)).exists()


def seed_business(
    *,
    plans: dict,
    staff,
    scale: "str | Scale" = "full",
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    through_services: bool = False,
) -> dict:
    """Build the business once; return what was made (``{"skipped": True}`` if it exists).

    ``staff`` is the subscription-staff account that saved the rules and made
    the refunds; ``plans`` the demo plans by code. ``through_services`` makes
    every subscription change through its service (slow; the tests compare it
    with the bulk writer).
    """
    if business_exists():
        return {"skipped": True}
    size = scale if isinstance(scale, Scale) else SCALES[scale]
    now = now or timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(days=365)
    timings = {}
    clock = time.monotonic()

    def lap(name):
        nonlocal clock
        timings[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    with transaction.atomic():
        timeline = seed_rules_history(staff=staff, now=now)
        readers = make_readers(
            rng=random.Random(f"{seed}/readers"), count=size.readers, start=start, now=now
        )
        visitors = make_visitors(
            rng=random.Random(f"{seed}/visitors"),
            count=size.visitors,
            since=now - timedelta(days=READS_DAYS),
            now=now,
        )
        lap("people")
        book = live_subscriptions(
            seed=seed,
            ledger=ServiceLedger() if through_services else BulkLedger(),
            readers=readers,
            plans=plans,
            staff=staff,
            now=now,
            timeline=timeline,
        )
        settle_timestamps(username_prefix=USERNAME_PREFIX)
        lap("subscriptions")
        entitled: dict = {}
        for sub in book.subscriptions:
            entitled.setdefault(sub.reader.user_id, []).extend(sub.entitlement_spans())
        catalogue = Catalogue.load(rng=random.Random(f"{seed}/catalogue"))
        views = read_month(
            seed=seed,
            catalogue=catalogue,
            visitors=visitors,
            readers=readers,
            entitled=entitled,
            rules_at=timeline.rules_for,
            now=now,
        )
        lap("reads")
        funnel = record_funnel(
            seed=seed,
            timeline=timeline,
            catalogue=catalogue,
            readers=readers,
            book=book,
            views=views,
            entitled=entitled,
            now=now,
        )
        lap("funnel")
    return {
        "readers": len(readers),
        "visitors": len(visitors),
        "subscriptions": len(book.subscriptions),
        "checkouts": len(book.checkouts),
        "views": len(views),
        **funnel,
        "timings": timings,
    }


__all__ = ["DEFAULT_SEED", "SCALES", "USERNAME_PREFIX", "business_exists", "seed_business"]
