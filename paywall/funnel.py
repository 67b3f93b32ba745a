"""Funnel events: the steps a reader takes from the gate to a subscription, recorded cheaply.

``record`` runs on the request path (the page cache's fast path included), so
it writes no row, runs no SQL and makes no round trip: it appends a compact
serialized event carrying a fresh ``event_id`` to a process buffer. The buffer
goes to Redis in one ``RPUSH`` per batch: when it holds ``FLUSH_EVERY_EVENTS``,
or ``REDIS_BATCH_SECONDS`` after its first event (a timer), and at the process's
exit. A process killed outright loses at most that second of events; a round
trip per event cost more than the rest of a cached page hit. Without Redis (the
embedded demo, or Redis down) the buffer is written, less often, through the
sink ``analytics`` registers (``register_sink``). The
roll-up (``analytics.funnel.roll_up``, a beat task) moves events from Redis
into ``analytics.FunnelEvent`` exactly once per ``event_id``.

An event never carries article text: ids, the paywall's reason, the rules
version and the experiment arm only.

Readers are keys (``reader_key``): ``u:<user id>`` signed in, ``m:<meter id>``
anonymous (the meter cookie's id), ``""`` unknown (a first visit without a
meter cookie).
"""

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.flush_timer import FlushTimer, at_exit

from .crawlers import is_speculative
from .policy import Reason
from .rights import Crawler

logger = logging.getLogger(__name__)

FORMAT = 1  # the first item of every serialized event
FLUSH_EVERY_EVENTS = 200
FLUSH_EVERY_SECONDS = 10.0
# A quiet process's buffer is written by a timer this long after its first event:
# to Redis (``REDIS_BATCH_SECONDS``), or through the sink (``FLUSH_TIMER_SECONDS``).
REDIS_BATCH_SECONDS = 1.0
FLUSH_TIMER_SECONDS = FLUSH_EVERY_SECONDS
MAX_BUFFERED = 20_000  # with Redis and the database both down, the oldest go first
REDIS_RETRY_SECONDS = 5.0  # after a Redis error, buffer in the process this long


class Event(models.TextChoices):
    GATE_IMPRESSION = "gate_impression", _("Gate shown")
    METER_EXHAUSTED = "meter_exhausted", _("Meter exhausted")
    SUBSCRIBE_CLICK = "subscribe_click", _("Subscribe click")
    REGISTRATION = "registration", _("Registration")
    CHECKOUT_STARTED = "checkout_started", _("Checkout started")
    SUBSCRIPTION_CREATED = "subscription_created", _("Subscription created")
    SUBSCRIPTION_CANCELLED = "subscription_cancelled", _("Subscription cancelled")


# Events that put an article in front of a reader on the way to subscribing:
# attribution credits the articles of these.
TOUCH_EVENTS = (Event.GATE_IMPRESSION, Event.SUBSCRIBE_CLICK, Event.METER_EXHAUSTED)


def reader_key(rights) -> str:
    """``u:<user id>`` for a signed-in reader, ``m:<meter id>`` for an anonymous
    one with a meter cookie, ``""`` when we cannot tell readers apart."""
    if rights.authenticated and rights.user_id is not None:
        return f"u:{rights.user_id}"
    if rights.meter_key:
        return f"m:{rights.meter_key}"[:80]
    return ""


def queue_key() -> str:
    """The Redis list events wait in until the roll-up takes them."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "newsroom")
    return f"{prefix}:funnel:queue"


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def redis_client():
    """The Redis client for the current ``REDIS_URL`` (one per URL, reused)."""
    return _client(settings.REDIS_URL)


def serialize(
    kind: str,
    *,
    reader: str,
    user_id: int | None,
    article_id: int | None,
    reason: str,
    rules_version: str,
    experiment_id: int | None,
    arm: str,
    amount_idr: int,
    subscription_id: int | None,
    at: float,
    event_id: str | None = None,
) -> str:
    """One event as a compact JSON array (``parse`` reads it back)."""
    return json.dumps(
        [
            FORMAT,
            event_id or uuid.uuid4().hex,
            str(kind),
            at,
            reader,
            user_id,
            article_id,
            reason,
            rules_version,
            experiment_id,
            arm,
            amount_idr,
            subscription_id,
        ],
        separators=(",", ":"),
    )


def parse(raw: bytes | str) -> dict | None:
    """A serialized event as a dict of ``FunnelEvent`` fields, or None when unreadable."""
    try:
        item = json.loads(raw)
        if item[0] != FORMAT or len(item) != 13 or item[2] not in Event.values:
            raise ValueError("unknown event format")
        return {
            "event_id": str(item[1])[:36],
            "kind": item[2],
            "at": datetime.fromtimestamp(float(item[3]), tz=timezone.get_fixed_timezone(0)),
            "reader": str(item[4] or "")[:80],
            "user_id": _id(item[5]),
            "article_id": _id(item[6]),
            "reason": str(item[7] or "")[:40],
            "rules_version": str(item[8] or "")[:40],
            "experiment_id": _id(item[9]),
            "arm": str(item[10] or "")[:40],
            "amount_idr": int(item[11] or 0),
            "subscription_id": _id(item[12]),
        }
    except (ValueError, TypeError, IndexError, OverflowError):
        logger.warning("funnel event dropped, unreadable: %.80r", raw)
        return None


def _id(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value) or None
    return None


# --- Without Redis: a process buffer, written in batches by the sink --------------

_sink: Callable[[list[str]], object] | None = None


def register_sink(sink: Callable[[list[str]], object]) -> None:
    """Who writes buffered events (``analytics`` does, when its app is ready)."""
    global _sink
    _sink = sink


class _Buffer:
    """Events waiting in the process. Written when full, on the next event after
    ``FLUSH_EVERY_SECONDS``, and by a timer (``_timer_seconds``) after the first
    one arrived, so a process that goes quiet does not keep them; and at the
    process's exit (``atexit``: a web worker, worker or beat stopping)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[str] = []
        self.since = time.monotonic()
        self.timer = FlushTimer(lambda: flush(), lambda: _timer_seconds())

    def add(self, item: str) -> bool:
        with self.lock:
            self.items.append(item)
            self.timer.arm()
            return (
                len(self.items) >= FLUSH_EVERY_EVENTS
                or time.monotonic() - self.since >= FLUSH_EVERY_SECONDS
            )

    def take(self) -> list[str]:
        with self.lock:
            items, self.items = self.items, []
            self.since = time.monotonic()
            self.timer.disarm()
            return items

    def put_back(self, items: list[str]) -> None:
        with self.lock:
            self.items[:0] = items
            if len(self.items) > MAX_BUFFERED:
                logger.warning("%d funnel events dropped", len(self.items) - MAX_BUFFERED)
                del self.items[: len(self.items) - MAX_BUFFERED]
            if self.items:
                self.timer.arm()


_buffer = _Buffer()
_redis_down_until = 0.0


def _timer_seconds() -> float:
    """How long an event may wait in the process: a second when Redis takes the
    batch, longer when the sink writes rows (the embedded demo, Redis down)."""
    if settings.REDIS_URL and time.monotonic() >= _redis_down_until:
        return REDIS_BATCH_SECONDS
    return FLUSH_TIMER_SECONDS


def flush() -> int:
    """Write this process's buffered events: to Redis when it answers, else through
    the sink. Returns how many were handed over (0: kept for the next try)."""
    items = _buffer.take()
    if not items:
        return 0
    try:
        if settings.REDIS_URL and time.monotonic() >= _redis_down_until:
            try:
                redis_client().rpush(queue_key(), *items)
                return len(items)
            except Exception as exc:  # noqa: BLE001 - fall through to the sink
                _redis_failed(exc)
        if _sink is None:
            raise RuntimeError("no funnel sink registered")
        _sink(items)
        return len(items)
    except Exception as exc:  # noqa: BLE001 - keep them for the next flush
        _buffer.put_back(items)
        logger.warning("funnel events kept in the process: %s", type(exc).__name__)
        return 0


def _redis_failed(exc: Exception) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning("funnel events buffered, Redis unavailable: %s", type(exc).__name__)


def record(
    kind: Event,
    *,
    reader: str,
    user_id: int | None = None,
    article_id: int | None = None,
    reason: str = "",
    rules_version: str = "",
    experiment_id: int | None = None,
    arm: str = "",
    amount_idr: int = 0,
    subscription_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Record one funnel event: a list append (Redis gets the batch, ``_push``).

    No SQL and never raises (a lost event must not break a page). Events are
    not transactional: a caller inside a transaction that may roll back
    records with ``transaction.on_commit``.
    """
    try:
        item = serialize(
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
            at=(at or timezone.now()).timestamp(),
        )
        _push([item])
    except Exception as exc:  # noqa: BLE001 - never break the page
        logger.warning("funnel event %s not recorded: %s", kind, type(exc).__name__)


def _push(items: list[str]) -> None:
    """Hand serialized events to the process buffer; write it when it is full."""
    full = False
    for item in items:
        full = _buffer.add(item)
    if full:
        flush()


def pending_in_process() -> int:
    """How many events wait in this process's buffer."""
    with _buffer.lock:
        return len(_buffer.items)


# --- Recording points ---------------------------------------------------------------


def event_context(rights, *, rules_version: str = "", request=None, decision=None) -> dict:
    """Who an event is about and what they were shown: the reader key, the account,
    the rules version and the experiment arm.

    Every recording point builds its event's context here, so this is the one
    place the experiment arm is filled (from ``paywall.experiments``, whose
    assignment needs no SQL on a cache hit). A visitor whose meter id was issued
    by this very request (``request.meter_key``) is keyed by it.
    """
    from .experiments import arm_of

    reader = reader_key(rights)
    if not reader and request is not None and getattr(request, "meter_key", None):
        reader = f"m:{request.meter_key}"[:80]
    user_id = rights.user_id if rights.authenticated else None
    found = arm_of(rights, request=request, decision=decision)
    return {
        "reader": reader,
        # The fast path reads the id from the session, where it is a string.
        "user_id": int(user_id) if user_id is not None else None,
        "rules_version": rules_version,
        "experiment_id": found.experiment_id if found else None,
        "arm": found.arm if found else "",
    }


def counts_as_seen(request, rights) -> bool:
    """Whether a person saw this answer: not a crawler, a staff preview's
    hypothetical reader, a HEAD or a prefetch/prerender."""
    if rights.crawler != Crawler.NONE or rights.hypothetical:
        return False
    if request is None:
        return True
    return not (is_speculative(request) or getattr(request, "head_request", False))


def record_gate(request, *, rights, article_id: int, decision) -> None:
    """A gated article was served (the page, print view or API detail, from the
    view or the page cache's fast path): one gate impression with its reason,
    and a ``meter_exhausted`` event when the gate refused a read for an
    exhausted meter. One round trip at most; no SQL."""
    try:
        if decision.granted or decision.reason == Reason.METER_PREVIEW:
            return
        if not counts_as_seen(request, rights):
            return
        context = event_context(
            rights, rules_version=decision.rules_version, request=request, decision=decision
        )
        at = timezone.now().timestamp()
        common = {**context, "article_id": article_id, "reason": str(decision.reason)}
        fields = {"amount_idr": 0, "subscription_id": None, "at": at}
        items = [serialize(Event.GATE_IMPRESSION, **common, **fields)]
        if decision.reason in (Reason.METER_EXHAUSTED, Reason.METER_EXHAUSTED_REGISTERED):
            items.append(serialize(Event.METER_EXHAUSTED, **common, **fields))
        _push(items)
    except Exception as exc:  # noqa: BLE001 - never break the page
        logger.warning("gate impression not recorded: %s", type(exc).__name__)


def article_from(params) -> int | None:
    """The article a link from the gate names (``?from=<article id>``), or None."""
    raw = params.get("from", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    return int(raw) or None


def reason_from(params) -> str:
    """The gate's reason a link carries (``&reason=...``): a known reason or ``""``."""
    raw = params.get("reason", "")
    return raw if raw in Reason.values else ""


def record_subscribe_click(request, *, rights, rules_version: str = "") -> None:
    """A reader arrived at the plans page from an article's gate (``?from=<id>``)."""
    article_id = article_from(request.GET)
    if article_id is None or not counts_as_seen(request, rights):
        return
    record(
        Event.SUBSCRIBE_CLICK,
        article_id=article_id,
        reason=reason_from(request.GET),
        **event_context(rights, rules_version=rules_version, request=request),
    )


def record_registration(request, *, user_id: int, rules_version: str = "") -> None:
    """A reader created an account (from an article's gate when the form carries ``from``).

    Keyed by the new account (``u:<id>``); their anonymous events are linked to
    it at login (``analytics`` keeps the meter id -> account link).
    """
    from .rights import signed_in

    context = event_context(
        signed_in(user_id=user_id, entitlements=()), rules_version=rules_version
    )
    record(
        Event.REGISTRATION,
        article_id=article_from(request.POST) or article_from(request.GET),
        reason=reason_from(request.POST) or reason_from(request.GET),
        **context,
    )


def record_for_account(
    kind: Event,
    *,
    user_id: int,
    amount_idr: int = 0,
    subscription_id: int | None = None,
    rules_version: str = "",
    at: datetime | None = None,
) -> None:
    """An event of an account outside a page request (checkout, subscriptions)."""
    from .rights import signed_in

    record(
        kind,
        amount_idr=amount_idr,
        subscription_id=subscription_id,
        at=at,
        **event_context(signed_in(user_id=user_id, entitlements=()), rules_version=rules_version),
    )


at_exit(flush, "funnel events")
