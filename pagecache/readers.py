"""A signed-in reader's entitlements, kept in the cache per account.

The page cache never keys a page by reader; it keys it by what the reader may
see. Working that out for a signed-in reader costs two queries (the account,
then its subscriptions). The cache-hit fast path (``pagecache.middleware``)
reads this small record instead (one cache round trip):

    {"entitlements": [...], "is_staff": bool, "is_active": bool,
     "auth_hash": <the session auth hash>, "until": <datetime or None>,
     "gen": <the readers generation it was built under>}

It is forgotten when it could be wrong:
- an account is saved or deleted (password, staff or active flag changed);
- a subscription of the account is saved or deleted (every subscription
  service saves the row, and so does the admin);
- any plan is saved or deleted (its entitlements may have changed): one
  generation bump forgets every record;
- time: ``until`` is the first moment a current subscription stops granting
  (period end or grace end), and a record lives at most ``SECONDS`` anyway.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from subscriptions.entitlements import current_subscriptions, entitlements_for

from .store import PREFIX, bump

SECONDS = 300
READERS_GEN = f"{PREFIX}:gen:readers"


def summary_key(user_id) -> str:
    return f"{PREFIX}:reader:{user_id}"


def summary_valid(summary: dict | None, *, gen, now: datetime) -> bool:
    """Whether a cached record may still be used (same generation, not past ``until``)."""
    if not summary or summary.get("gen") != gen:
        return False
    until = summary.get("until")
    return until is None or now < until


def build_summary(user_id, *, gen, now: datetime) -> dict | None:
    """Look the account up (two queries) and keep its record; None for no such account."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return None
    entitlements = entitlements_for(user, now=now)
    ends = []
    for end, grace in current_subscriptions(user, now=now).values_list(
        "current_period_end", "grace_until"
    ):
        ends.extend(moment for moment in (end, grace) if moment is not None and moment > now)
    until = min(ends, default=None)
    summary = {
        "entitlements": sorted(entitlements),
        "is_staff": bool(user.is_staff),
        "is_active": bool(user.is_active),
        "auth_hash": user.get_session_auth_hash(),
        "until": until,
        "gen": gen,
    }
    timeout = SECONDS
    if until is not None:
        timeout = max(1, min(SECONDS, int((until - now) / timedelta(seconds=1))))
    cache.set(summary_key(user_id), summary, timeout=timeout)
    return summary


def forget_reader(user_id) -> None:
    """Drop one account's record now and again after the transaction commits
    (a request between the two could have rebuilt it from the old rows)."""
    if user_id is None:
        return
    key = summary_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def forget_all_readers() -> None:
    bump(READERS_GEN)
    transaction.on_commit(lambda: bump(READERS_GEN))


# --- A signed-in reader's meter, for re-reads -------------------------------------
# A metered article the reader already read this period costs nothing and
# changes nothing; the page only needs the read set and what is left. Any new
# read (``MeterRead`` saved) or meter change forgets the record, so the count
# the page shows stays exact. The key names the rules version and the window's
# first day: a rule change (allowance, period) or a new day of a rolling
# window is a new record.


def meter_key(user_id, *, now: datetime, rules=None) -> str:
    from paywall import meter
    from paywall.rules import current_rules

    rules = rules or current_rules(now=now)
    period = meter.period_start(now, rules=rules)
    return f"{PREFIX}:meter:u:{user_id}:{rules.version}:{period:%Y%m%d}"


def signed_in_meter(user_id, *, now: datetime, rules=None, prefetched: dict | None = None) -> dict:
    """``{"ids": set of article ids read this period, "left": reads left}``, cached.

    ``prefetched`` is the cache's answer for ``meter_key`` when the caller already
    read it (the fast path reads it with the account record, in one round trip).
    """
    from paywall import meter
    from paywall.rights import ReaderRights
    from paywall.rules import current_rules

    rules = rules or current_rules(now=now)
    key = meter_key(user_id, now=now, rules=rules)
    found = prefetched.get(key) if prefetched is not None else cache.get(key)
    if found is None:
        reader = ReaderRights(authenticated=True, user_id=user_id)
        state = meter.meter_state(reader, now, rules=rules)
        found = {"ids": set(state.read_article_ids), "left": state.left}
        seconds = int((state.period_end - now) / timedelta(seconds=1))
        cache.set(key, found, timeout=max(1, min(SECONDS, seconds)))
    return found


def forget_meter(user_id) -> None:
    if user_id is None:
        return
    now = timezone.now()
    # Yesterday's too: a request just before midnight may still read it.
    keys = [meter_key(user_id, now=now), meter_key(user_id, now=now - timedelta(days=1))]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _meter_changed(sender, instance, **kwargs):
    forget_meter(instance.user_id)


def _meter_read_changed(sender, instance, **kwargs):
    from paywall.models import Meter

    if type(instance).meter.is_cached(instance):  # meter_consume hands the meter over
        user_id = instance.meter.user_id
    else:
        user_id = (
            Meter.objects.filter(pk=instance.meter_id).values_list("user_id", flat=True).first()
        )
    forget_meter(user_id)


def _account_changed(sender, instance, **kwargs):
    forget_reader(instance.pk)


def _subscription_changed(sender, instance, **kwargs):
    forget_reader(instance.user_id)


def _plan_changed(sender, **kwargs):
    forget_all_readers()


def connect_invalidation() -> None:
    """Hook the forgetting to saves and deletes (called once from the AppConfig)."""
    from paywall.models import Meter, MeterRead
    from subscriptions.models import Plan, Subscription

    uid = "pagecache.readers"
    for signal in (post_save, post_delete):
        signal.connect(_meter_changed, sender=Meter, dispatch_uid=f"{uid}.meter")
        signal.connect(_meter_read_changed, sender=MeterRead, dispatch_uid=f"{uid}.meter_read")
        signal.connect(_account_changed, sender=get_user_model(), dispatch_uid=f"{uid}.user")
        signal.connect(_subscription_changed, sender=Subscription, dispatch_uid=f"{uid}.sub")
        signal.connect(_plan_changed, sender=Plan, dispatch_uid=f"{uid}.plan")
