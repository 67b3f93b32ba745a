"""What ranking fewer candidates would change on a search's first page.

A search ranks the newest ``SEARCH_CANDIDATES`` matches of its words (300 by
default, ``website.search_plans.candidate_bound``). Fewer candidates cost less
to rank (``make bench`` with ``SEARCH_CANDIDATES=150`` shows how much), but an
older, better match then drops out. This script answers the product half of
that trade: for the bench's search words (``bench/probe.search_words``), as an
anonymous reader and as a subscriber, how many of page 1's 20 results stay the
same when the search ranks ``--bounds`` candidates instead of 300.

Usage (PostgreSQL, a database seeded with ``seed_demo``)::

    DATABASE_URL=postgres://... .venv/bin/python bench/search_candidates.py \\
        [--bounds 200,150,100] [--words 200]
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from probe import search_words  # noqa: E402

from paywall.rules import current_rules  # noqa: E402
from website.search import ranking  # noqa: E402

PAGE = 20
TODAY = 300
READERS = {
    "anonymous": ["free"],
    "subscriber": ["free", "metered", "premium", "registered"],
}


def first_pages(words, levels, bound, *, rules, now) -> dict[str, list[int]]:
    with override_settings(SEARCH_CANDIDATES=bound):
        return {w: ranking(w, levels=levels, rules=rules, now=now)[:PAGE] for w in words}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bounds", default="200,150,100")
    parser.add_argument("--words", type=int, default=200)
    args = parser.parse_args()
    words = search_words()
    words = words[:: max(1, len(words) // args.words)][: args.words]  # across the frequencies
    now = timezone.now()
    rules = current_rules(now=now)
    print("| reader | candidates | page 1 kept (mean) | median | same page 1 | words |")
    print("|---|---:|---:|---:|---:|---:|")
    for reader, levels in READERS.items():
        today = first_pages(words, levels, TODAY, rules=rules, now=now)
        found = [w for w in words if today[w]]
        for bound in (int(b) for b in args.bounds.split(",")):
            fewer = first_pages(found, levels, bound, rules=rules, now=now)
            kept = [len(set(fewer[w]) & set(today[w])) / len(today[w]) for w in found]
            same = sum(1 for share in kept if share == 1.0)
            print(
                f"| {reader} | {bound} | {statistics.fmean(kept):.0%} "
                f"| {statistics.median(kept):.0%} | {same} | {len(found)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
