"""The year's paywall rules and experiments, made through their services.

Versions are saved with ``paywall.rulesets`` (``ruleset_create``,
``ruleset_rollback``), experiments with ``paywall.experiments`` (create, start,
stop, promote). Those stamp the real clock, so each row is then given the
time staff made it on that day: what the services would have written then.
"""

import bisect
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from paywall.experiments import Arm as ArmRules
from paywall.experiments import (
    ArmSpec,
    RunningExperiment,
    arm_rules,
    bucket_of,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
)
from paywall.models import Experiment, ExperimentLog, RuleSet
from paywall.rules import (
    Override,
    OverrideKind,
    OverrideTarget,
    PaywallRules,
    forget_rules,
    settings_rules,
)
from paywall.rulesets import ruleset_create, ruleset_rollback


@dataclass
class Window:
    """An experiment while it ran: its arms' rules, and who it was (not) good for."""

    experiment: RunningExperiment
    start: datetime
    end: datetime | None  # None: still running
    # arm -> chance that a reader in it who would have subscribed during the
    # experiment put it off (how the demo makes an arm win)
    holds_back: dict = field(default_factory=dict)

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass
class RulesTimeline:
    """The versions in force and the experiments over the year."""

    starts: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    windows: list = field(default_factory=list)

    def in_force(self, at: datetime) -> PaywallRules:
        index = bisect.bisect_right(self.starts, at) - 1
        return self.rules[max(index, 0)]

    def arm(self, at: datetime, key: str) -> tuple[Window, ArmRules] | None:
        """The experiment arm of reader ``key`` ("m:..."/"u:...") at ``at``, if any."""
        for window in self.windows:
            if key and window.covers(at):
                experiment = window.experiment
                return window, experiment.arm_at(bucket_of(experiment.id, key))
        return None

    def rules_for(self, at: datetime, key: str) -> PaywallRules:
        found = self.arm(at, key)
        return found[1].rules if found else self.in_force(at)


def _day(now: datetime, days_ago: float) -> datetime:
    return (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)


class History:
    """Writes the versions and experiments in order, backdating each as it goes."""

    def __init__(self, *, staff, now: datetime):
        self.staff, self.now = staff, now
        self.timeline = RulesTimeline()
        self.versions: dict[str, RuleSet] = {}

    def _keep(self, name: str, version: RuleSet, at: datetime) -> RuleSet:
        RuleSet.objects.filter(pk=version.pk).update(
            effective_from=at, created_at=at - timedelta(minutes=20)
        )
        forget_rules()
        version = RuleSet.objects.prefetch_related("overrides").get(pk=version.pk)
        self.versions[name] = version
        self.timeline.starts.append(version.effective_from)
        self.timeline.rules.append(version.as_rules())
        return version

    def version(self, name: str, days_ago: float, why: str, **change) -> RuleSet:
        base = self.timeline.rules[-1] if self.timeline.rules else settings_rules()
        saved = ruleset_create(rules=replace(base, **change), why=why, by=self.staff)
        return self._keep(name, saved, _day(self.now, days_ago))

    def rollback(self, name: str, days_ago: float, *, to: str, why: str) -> RuleSet:
        saved = ruleset_rollback(to=self.versions[to], by=self.staff, why=why)
        return self._keep(name, saved, _day(self.now, days_ago))

    def experiment(
        self,
        *,
        name,
        hypothesis,
        arms,
        started_ago,
        ended_ago=None,
        outcome="",
        why="",
        holds_back=None,
    ) -> Experiment:
        """``arms``: [(key, label, version name, weight)]; ``outcome``: "" (runs on),
        "stopped" or the arm promoted."""
        specs = [ArmSpec(key, self.versions[v], weight, label) for key, label, v, weight in arms]
        experiment = experiment_create(name=name, hypothesis=hypothesis, arms=specs, by=self.staff)
        experiment_start(experiment, by=self.staff, why=hypothesis)
        started = _day(self.now, started_ago)
        ended = _day(self.now, ended_ago) if ended_ago is not None else None
        promoted = None
        if outcome == "stopped":
            experiment_stop(experiment, by=self.staff, why=why)
        elif outcome:
            promoted = experiment_promote(experiment, arm=outcome, by=self.staff, why=why)
        Experiment.objects.filter(pk=experiment.pk).update(
            created_at=started - timedelta(hours=3),
            started_at=started,
            stopped_at=ended,
        )
        log = ExperimentLog.objects.filter(experiment=experiment)
        log.filter(action="created").update(at=started - timedelta(hours=3))
        log.filter(action="started").update(at=started)
        log.exclude(action__in=("created", "started")).update(at=ended)
        if promoted is not None:
            self._keep(f"{name}:{outcome}", promoted, ended)
        arm_rows = experiment.arms.select_related("ruleset").prefetch_related("ruleset__overrides")
        running = RunningExperiment(
            id=experiment.pk,
            arms=tuple(
                ArmRules(
                    a.key, a.weight, arm_rules(a.ruleset, experiment_id=experiment.pk, key=a.key)
                )
                for a in arm_rows
            ),
        )
        self.timeline.windows.append(
            Window(running, start=started, end=ended, holds_back=holds_back or {})
        )
        forget_rules()
        return experiment


PANGAN_FREE = (Override(OverrideTarget.TOPIC, "pangan", OverrideKind.FREE),)


def seed_rules_history(*, staff, now: datetime) -> RulesTimeline:
    """Six versions and three experiments (two finished, one running) over the year.

    The rules in force at the end are the settings' defaults (3 anonymous and
    10 registered reads a month); the running experiment tries the launch
    meter (5 and 12) on half of the readers.
    """
    h = History(staff=staff, now=now)
    h.version(
        "launch",
        362,
        "Meteran pertama: lima artikel gratis bagi pembaca anonim, dua belas bagi yang terdaftar.",
        anonymous_allowance=5,
        registered_allowance=12,
        overrides=(),
    )
    h.version("tight", 300, "Kuota anonim tiga, untuk diuji terhadap lima.", anonymous_allowance=3)
    h.experiment(
        name="Kuota anonim: lima atau tiga",
        hypothesis="Dengan tiga artikel gratis, lebih banyak pembaca anonim mendaftar dan bayar.",
        arms=[("a", "Lima artikel", "launch", 50), ("b", "Tiga artikel", "tight", 50)],
        started_ago=300,
        ended_ago=255,
        outcome="b",
        why="Arm B mendatangkan lebih banyak langganan tanpa kehilangan pembaca.",
        holds_back={"a": 0.4},
    )
    h.version(
        "crisis",
        204,
        "Krisis harga beras: liputan Harga Pangan gratis selama krisis.",
        overrides=PANGAN_FREE,
    )
    h.rollback(
        "after-crisis",
        176,
        to="Kuota anonim: lima atau tiga:b",
        why="Harga beras kembali normal: liputan pangan kembali mengikuti meteran.",
    )
    h.version(
        "ten",
        150,
        "Kuota terdaftar sepuluh, untuk diuji terhadap dua belas.",
        registered_allowance=10,
        overrides=(),
    )
    h.experiment(
        name="Kuota pembaca terdaftar: dua belas atau sepuluh",
        hypothesis="Pembaca terdaftar dengan sepuluh artikel lebih cepat berlangganan.",
        arms=[("a", "Dua belas artikel", "after-crisis", 50), ("b", "Sepuluh artikel", "ten", 50)],
        started_ago=150,
        ended_ago=112,
        outcome="stopped",
        why="Tidak ada beda yang berarti; kuota sepuluh tetap berlaku.",
    )
    h.experiment(
        name="Meteran longgar untuk pembaca baru",
        hypothesis="Meteran peluncuran (5/12) menambah pendaftaran tanpa mengurangi langganan.",
        arms=[
            ("a", "Aturan berlaku (3/10)", "ten", 50),
            ("b", "Meteran longgar (5/12)", "launch", 50),
        ],
        started_ago=14,
    )
    return h.timeline
