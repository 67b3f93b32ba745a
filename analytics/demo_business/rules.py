"""The year's paywall rules: the versions staff saved, through ``ruleset_create``.

Each version is saved with its historical ``effective_from``; its ``created_at``
is then set to when staff saved it (the service stamps the real clock), which
is what the service would have written on that day.
"""

import bisect
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from paywall.models import RuleSet
from paywall.rules import (
    Override,
    OverrideKind,
    OverrideTarget,
    PaywallRules,
    forget_rules,
    settings_rules,
)
from paywall.rulesets import ruleset_create

# days before now, what changes from the previous version, why (in the newsroom's words)
HISTORY = [
    (
        362,
        {"anonymous_allowance": 5, "registered_allowance": 12},
        "Meteran pertama: lima artikel gratis bagi pembaca anonim, dua belas bagi yang terdaftar.",
    ),
    (
        240,
        {"anonymous_allowance": 3},
        "Kuota anonim turun ke tiga: lebih banyak pembaca sampai di ajakan mendaftar.",
    ),
    (
        204,
        {"overrides": (Override(OverrideTarget.TOPIC, "pangan", OverrideKind.FREE),)},
        "Krisis harga beras: semua liputan Harga Pangan gratis selama krisis.",
    ),
    (
        176,
        {"overrides": ()},
        "Harga beras kembali normal: liputan pangan kembali mengikuti meteran.",
    ),
    (
        58,
        {"registered_allowance": 10},
        "Kuota terdaftar turun ke sepuluh: banyak yang membaca belasan artikel tanpa berlangganan.",
    ),
]  # fmt: skip


@dataclass(frozen=True)
class RulesTimeline:
    """The versions in force over the year, to replay reads under the right rules."""

    starts: list[datetime]
    rules: list[PaywallRules]

    def at(self, moment: datetime) -> PaywallRules:
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.rules[max(index, 0)]


def save_version(*, rules: PaywallRules, why: str, by, effective_from: datetime) -> RuleSet:
    """A version as staff saved it on the day it took effect (an hour before)."""
    version = ruleset_create(rules=rules, why=why, by=by, effective_from=effective_from)
    RuleSet.objects.filter(pk=version.pk).update(created_at=effective_from - timedelta(hours=1))
    forget_rules()
    return RuleSet.objects.prefetch_related("overrides").get(pk=version.pk)


def seed_rules_history(*, staff, now: datetime, changes=HISTORY) -> RulesTimeline:
    """Save the year's versions (the last one is the settings' defaults but for what
    staff changed) and return them as a timeline."""
    rules = settings_rules()
    starts, versions = [], []
    for days_ago, change, why in changes:
        effective = (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
        rules = replace(rules, **change)
        saved = save_version(rules=rules, why=why, by=staff, effective_from=effective)
        starts.append(saved.effective_from)
        versions.append(saved.as_rules())
    return RulesTimeline(starts=starts, rules=versions)
