"""CPU cost of recording a funnel event on the request path (``paywall.funnel``).

The target (issue 13): a gate impression on a page-cache hit costs at most
0.2 ms of CPU: no SQL and no round trip of its own (events go to Redis in one
RPUSH per batch, whose cost is measured here, spread over the batch). This measures the
process CPU time (``time.process_time``, so the wait for Redis is not counted)
of ``record_gate`` for a gated anonymous reader, and of ``record`` alone, with
Redis (``REDIS_URL`` set) and with the process buffer (``--no-redis``).

Usage::

    REDIS_URL=redis://127.0.0.1:6379/3 python bench/funnel_record.py [--runs 20000]
    python bench/funnel_record.py --no-redis

It pushes onto the funnel queue of that Redis database and deletes the queue
afterwards: run it against a bench or scratch database, not production.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

TARGET_US = 200.0  # issue 13: a gate impression adds at most 0.2 ms of CPU to a cached hit


def measure(label: str, call, *, runs: int, rounds: int = 5) -> float:
    per_call = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(runs):
            call()
        per_call.append((time.process_time() - start) / runs * 1e6)
    print(
        f"{label:<44} median {statistics.median(per_call):7.1f} µs CPU"
        f"  (min {min(per_call):.1f}, max {max(per_call):.1f}; {rounds} x {runs} calls)"
    )
    return statistics.median(per_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--no-redis", action="store_true", help="measure the process buffer")
    args = parser.parse_args()
    if args.no_redis:
        os.environ["REDIS_URL"] = ""
    django.setup()
    logging.disable(logging.WARNING)  # a refused event would log once per call
    from django.conf import settings
    from django.test import RequestFactory

    from paywall import funnel
    from paywall.policy import Reason, make_decision
    from paywall.rights import ReaderRights
    from paywall.rules import settings_rules

    if settings.REDIS_URL:
        # With Redis, the batch push (one RPUSH per FLUSH_EVERY_EVENTS) is part of
        # the cost: measured here, amortized over the batch (process CPU counts
        # the timer thread too).
        pass
    else:
        # The process buffer would flush through the database: keep it in memory.
        funnel.FLUSH_EVERY_EVENTS = 10**9
        funnel.FLUSH_EVERY_SECONDS = 10.0**9
        funnel.FLUSH_TIMER_SECONDS = 10.0**9
    request = RequestFactory().get("/2026/11/30/1-berita/")
    rights = ReaderRights(meter_key="0" * 32)
    decision = make_decision(False, Reason.PREMIUM_LOGIN, settings_rules())
    where = "Redis " + settings.REDIS_URL if settings.REDIS_URL else "process buffer"
    print(f"funnel recording, {where}")

    def gate():
        funnel.record_gate(request, rights=rights, article_id=42, decision=decision)

    def record():
        funnel.record(funnel.Event.SUBSCRIBE_CLICK, reader="m:" + "0" * 32, article_id=42)

    try:
        if settings.REDIS_URL:
            # The floor: what any one Redis round trip costs this client here.
            measure(
                "Redis PING (one round trip, reference)", funnel.redis_client().ping, runs=args.runs
            )
        gate_us = measure("record_gate (gate impression, fast path)", gate, runs=args.runs)
        measure("record (one event)", record, runs=args.runs)
        verdict = "PASS" if gate_us <= TARGET_US else "FAIL"
        print(f"{verdict}: a gate impression adds {gate_us:.1f} µs of CPU (target {TARGET_US:.0f})")
    finally:
        if settings.REDIS_URL:
            funnel.redis_client().delete(funnel.queue_key())
        funnel._buffer.take()


if __name__ == "__main__":
    main()
