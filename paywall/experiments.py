"""Experiments: two or more rule set versions side by side on real readers.

An ``Experiment`` has arms (``ExperimentArm``: a ``RuleSet`` version and a
percentage of readers). While it runs, ``paywall.rules.current_rules(rights=...)``
answers the rules of the reader's arm; everything else (the policy, the
meter, the page cache) works unchanged, because the arm's rules carry their
own ``version`` (the rule set's, plus "~e<id><arm>"), which is part of every
cached page's variant: the page cache never serves one arm's page to another.
A decision made under an arm's rules is ``per_reader`` (``AccessDecision.arm``),
so it is never ``public``: a shared cache (CDN) cannot hand it to another arm.

Bucketing (``arm_for``) is deterministic: sha256 of the experiment id and the
reader's bucket key, mapped to 0..9999 and cut by the arms' weights. The key:
- ``m:<meter id>``: the meter cookie's id when the browser carries one, also
  once the reader is signed in (the cookie outlives sign-in), so a reader who
  signs in on the same browser keeps their arm with no lookup;
- ``u:<user id>``: a signed-in reader whose browser has no meter cookie;
- none: a crawler, a staff preview's hypothetical reader, a new visitor
  without the cookie yet. They get the rules in force, outside the
  experiment (a visitor's first metered read issues the cookie, and
  ``paywall.reading`` decides that read under the new id's arm).
- Across devices: at sign-in (``pin_at_login``) the account's earliest
  exposure, if any, is pinned in the session (``SESSION_PIN``) and wins over
  the browser's own bucket; the browser's own anonymous exposure, if the
  account had none, gets the account's id (it becomes the account's arm).
  A reader already signed in on two browsers before their first exposure
  may see a different arm on each until they sign in again (no per-request
  lookup: the pin rides the session the request loads anyway).

Exposure: a reader "meets" the experiment when a reading surface decides a
metered or gated outcome under their arm's rules (``EXPOSING``); a free
article, a subscriber's read or a list page is not an exposure.
``note_exposure`` costs no SQL and no round trip: the process remembers who
it has seen and buffers new exposures; ``flush_exposures`` writes a batch
(every ``FLUSH_EVERY`` exposures, or ``FLUSH_SECONDS`` after the first: by the
next exposure or a timer, so a quiet process holds none back; and at exit), and the unique
(experiment, reader) key drops a reader another process wrote first. A
process killed before its flush loses its pending exposures, and the next
decision for those readers (in any process) records them again.

Changes (``experiment_create``, ``experiment_start``, ``experiment_stop``,
``experiment_promote``) are audited (``ExperimentLog``: who, when, why) in
the same transaction, and each bumps the rules generation so every process
and every cached page change arm at once. At most one experiment runs (a
partial unique index). Promotion saves the winning arm's rules as a new
``RuleSet`` version (``paywall.rulesets.ruleset_create``, copied from the arm's
version) and ends the experiment.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.flush_timer import FlushTimer, at_exit

from .models import (
    Experiment,
    ExperimentAction,
    ExperimentArm,
    ExperimentLog,
    ExperimentStatus,
    Exposure,
    RuleSet,
)
from .policy import AccessDecision, Reason
from .rights import Crawler, ReaderRights
from .rules import PaywallRules, current_rules, forget_rules, stored_rules
from .rulesets import ruleset_create

logger = logging.getLogger(__name__)

SESSION_PIN = "paywall_arm"  # [experiment id, arm key], set at sign-in
BUCKETS = 10_000

# Decisions on a reading surface that show the reader the arm's rules at work.
EXPOSING = frozenset(
    {
        Reason.METERED,
        Reason.METER_EXHAUSTED,
        Reason.METER_EXHAUSTED_REGISTERED,
        Reason.COOKIE_REQUIRED,
        Reason.REGISTRATION_REQUIRED,
        Reason.PREMIUM_LOGIN,
        Reason.SUBSCRIPTION_REQUIRED,
        Reason.UPGRADE_REQUIRED,
    }
)


# --- The running experiment, as the cached rules carry it ---------------------------------


@dataclass(frozen=True)
class Arm:
    key: str
    weight: int
    rules: PaywallRules


@dataclass(frozen=True)
class Assignment:
    experiment_id: int
    arm: str


def bucket_of(experiment_id: int, key: str) -> int:
    """The reader's bucket in 0..BUCKETS-1 (the same in every process, forever)."""
    digest = hashlib.sha256(f"{experiment_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def bucket_key(rights: ReaderRights) -> str:
    """Who the reader is for bucketing: "m:<meter id>", "u:<user id>" or "" (outside)."""
    if rights.crawler != Crawler.NONE or rights.hypothetical:
        return ""
    meter_key = rights.browser_key if rights.authenticated else rights.meter_key
    if meter_key:
        return f"m:{meter_key.split('.', 1)[0]}"
    if rights.authenticated and rights.user_id is not None:
        return f"u:{rights.user_id}"
    return ""


@dataclass(frozen=True)
class RunningExperiment:
    id: int
    arms: tuple[Arm, ...]

    def arm_named(self, key: str) -> Arm | None:
        return next((arm for arm in self.arms if arm.key == key), None)

    def arm_for(self, rights: ReaderRights) -> Arm | None:
        """The reader's arm (None: outside the experiment). No SQL, no round trip."""
        pin = rights.arm_pin
        if pin and pin[0] == self.id and rights.authenticated:
            pinned = self.arm_named(pin[1])
            if pinned is not None:
                return pinned
        key = bucket_key(rights)
        if not key:
            return None
        return self.arm_at(bucket_of(self.id, key))

    def arm_at(self, bucket: int) -> Arm:
        edge = 0
        for arm in self.arms:
            edge += arm.weight * BUCKETS // 100
            if bucket < edge:
                return arm
        return self.arms[-1]


def arm_rules(ruleset: RuleSet, *, experiment_id: int, key: str) -> PaywallRules:
    rules = ruleset.as_rules()
    version = f"{rules.version}~e{experiment_id}{key}"
    return replace(rules, version=version, experiment_id=experiment_id, arm=key)


def load_running() -> RunningExperiment | None:
    """The running experiment and its arms' rules (three queries; none runs: one)."""
    experiment = Experiment.objects.filter(status=ExperimentStatus.RUNNING).first()
    if experiment is None:
        return None
    arms = (
        ExperimentArm.objects.filter(experiment=experiment)
        .select_related("ruleset")
        .prefetch_related("ruleset__overrides")
    )
    return RunningExperiment(
        id=experiment.pk,
        arms=tuple(
            Arm(a.key, a.weight, arm_rules(a.ruleset, experiment_id=experiment.pk, key=a.key))
            for a in arms
        ),
    )


def running(now: datetime | None = None) -> RunningExperiment | None:
    """The running experiment from the cached rules (no SQL on a hit)."""
    return stored_rules(now or timezone.now()).get("experiment")


def assignment(rights: ReaderRights, *, now: datetime | None = None) -> Assignment | None:
    """The reader's experiment and arm, or None (no experiment, or outside it)."""
    experiment = running(now)
    arm = experiment.arm_for(rights) if experiment is not None else None
    return Assignment(experiment.id, arm.key) if arm is not None else None


def arm_of(rights: ReaderRights, *, request=None, decision=None) -> Assignment | None:
    """The experiment arm a funnel event belongs to (``paywall.funnel.event_context``).

    A decision made under an arm's rules names it (a gate impression: no work).
    Otherwise the reader's bucket: the rights' meter id, or the meter id the
    request carries (a sign-up, a checkout in the browser); an account event
    without either (a renewal, a webhook) takes the account's exposure (one
    query, only while an experiment runs). No SQL for a reader with a bucket.
    """
    if decision is not None and getattr(decision, "arm", ""):
        return Assignment(decision.experiment_id, decision.arm)
    experiment = running()
    if experiment is None or rights.crawler != Crawler.NONE or rights.hypothetical:
        return None
    if rights.authenticated and not rights.browser_key and not rights.arm_pin:
        browser = getattr(request, "meter_key", None) if request is not None else None
        if browser:
            rights = replace(rights, browser_key=browser)
        elif rights.user_id is not None:
            arm = (
                Exposure.objects.filter(experiment_id=experiment.id, user_id=rights.user_id)
                .order_by("first_seen", "pk")
                .values_list("arm", flat=True)
                .first()
            )
            return Assignment(experiment.id, arm) if arm else None
    arm = experiment.arm_for(rights)
    return Assignment(experiment.id, arm.key) if arm is not None else None


# --- Exposures ---------------------------------------------------------------------------

FLUSH_EVERY = 100
FLUSH_SECONDS = 5.0
TIMER_SECONDS = FLUSH_SECONDS  # a quiet process's exposures are written this long after
SEEN_MAX = 100_000


class _Buffer:
    """Exposures waiting in the process: written when ``FLUSH_EVERY`` wait, on the
    next exposure after ``FLUSH_SECONDS``, by a timer ``TIMER_SECONDS`` after the
    first one arrived (a process that goes quiet keeps none back from the
    results), and at the process's exit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: dict[tuple[int, str], tuple[str, int | None, datetime]] = {}
        self.seen: set = set()
        self.since = time.monotonic()
        self.timer = FlushTimer(lambda: flush_exposures(), lambda: TIMER_SECONDS)

    def add(self, seen_key, key, value) -> bool:
        """Buffer an exposure not seen by this process; True when it is time to flush."""
        with self.lock:
            if seen_key in self.seen:
                return False
            if len(self.seen) >= SEEN_MAX:
                self.seen.clear()
            self.seen.add(seen_key)
            self.pending.setdefault(key, value)
            self.timer.arm()
            return (
                len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.since >= FLUSH_SECONDS
            )

    def take(self) -> dict:
        with self.lock:
            pending, self.pending = self.pending, {}
            self.since = time.monotonic()
            self.timer.disarm()
            return pending

    def put_back(self, pending: dict) -> None:
        with self.lock:
            for key, value in pending.items():
                self.pending.setdefault(key, value)
            if self.pending:
                self.timer.arm()

    def clear(self) -> None:
        with self.lock:
            self.pending, self.seen = {}, set()
            self.timer.disarm()


_buffer = _Buffer()


def note_exposure(rights: ReaderRights, decision: AccessDecision, *, now=None) -> None:
    """Remember that the reader met the experiment (see the module docstring)."""
    if not decision.arm or decision.reason not in EXPOSING:
        return
    pin = rights.arm_pin
    if pin and pin[0] == decision.experiment_id and rights.authenticated:
        return  # the account's exposure is what pinned it
    reader = bucket_key(rights)
    if not reader:
        return
    user_id = rights.user_id if rights.authenticated else None
    seen_key = (decision.experiment_id, reader, user_id)
    value = (decision.arm, user_id, now or timezone.now())
    if _buffer.add(seen_key, (decision.experiment_id, reader), value):
        flush_exposures()


def flush_exposures() -> int:
    """Write the buffered exposures (one insert; a reader already there is kept
    as first seen). Returns how many were pending."""
    pending = _buffer.take()
    if not pending:
        return 0
    try:
        with transaction.atomic():
            # Foreign keys are checked at commit on PostgreSQL: an experiment or an
            # account deleted since the decision must not fail the request's commit.
            experiments = set(
                Experiment.objects.filter(pk__in={exp for exp, _ in pending}).values_list(
                    "pk", flat=True
                )
            )
            users = {user_id for _, user_id, _ in pending.values() if user_id is not None}
            if users:
                users = set(
                    get_user_model().objects.filter(pk__in=users).values_list("pk", flat=True)
                )
            rows = [
                Exposure(
                    experiment_id=exp,
                    reader=reader,
                    arm=arm,
                    user_id=user_id if user_id in users else None,
                    first_seen=at,
                )
                for (exp, reader), (arm, user_id, at) in pending.items()
                if exp in experiments
            ]
            Exposure.objects.bulk_create(rows, ignore_conflicts=True)
            for row in rows:
                if row.user_id is not None:  # a signed-in reader's anonymous exposure
                    Exposure.objects.filter(
                        experiment_id=row.experiment_id, reader=row.reader, user__isnull=True
                    ).update(user_id=row.user_id)
    except Exception:  # the database is away: try again with the next flush
        logger.exception("could not write %s experiment exposures", len(pending))
        _buffer.put_back(pending)
        return 0
    return len(pending)


at_exit(flush_exposures, "experiment exposures")


def forget_exposure_buffer() -> None:
    """Drop this process's pending and seen exposures (tests)."""
    _buffer.clear()


def pin_at_login(request, user) -> None:
    """At sign-in: the account keeps the arm it met first (on any device).

    The account's earliest exposure wins and is pinned in the session; without
    one, this browser's anonymous exposure (if any) becomes the account's.
    Two or three queries, at sign-in only, and only while an experiment runs.
    """
    experiment = running()
    if experiment is None or request is None or not hasattr(request, "session"):
        return
    flush_exposures()  # this process's pending exposures, the browser's among them
    exposures = Exposure.objects.filter(experiment_id=experiment.id)
    arm = exposures.filter(user=user).order_by("first_seen", "pk").values_list("arm", flat=True)
    pinned = arm.first()
    if pinned is None:
        browser = bucket_key(
            ReaderRights(
                authenticated=True,
                user_id=user.pk,
                browser_key=getattr(request, "meter_key", None),
            )
        )
        if browser.startswith("m:"):
            exposures.filter(reader=browser, user__isnull=True).update(user=user)
            pinned = arm.first()
    if pinned is not None and experiment.arm_named(pinned) is not None:
        request.session[SESSION_PIN] = [experiment.id, pinned]
    else:
        request.session.pop(SESSION_PIN, None)


def pin_from_session(session_data) -> tuple[int, str] | None:
    """The pin a session carries (``pin_at_login``), or None."""
    pin = session_data.get(SESSION_PIN) if session_data is not None else None
    if isinstance(pin, list | tuple) and len(pin) == 2:
        return int(pin[0]), str(pin[1])
    return None


# --- Creating, starting, stopping, promoting ------------------------------------------------


@dataclass(frozen=True)
class ArmSpec:
    """An arm as a form or a caller gives it."""

    key: str
    ruleset: RuleSet | None
    weight: int | None
    label: str = ""


def arms_validate(arms: list[ArmSpec]) -> None:
    """Raise ``ValidationError`` (field "arms") for arms that cannot run."""
    errors = []
    if len(arms) < 2:
        errors.append(_("An experiment needs at least two arms."))
    keys = [arm.key for arm in arms]
    if any(not key or slugify(key) != key for key in keys):
        errors.append(_("Each arm needs a short key of letters, digits or dashes (a, b, ...)."))
    elif len(set(keys)) != len(keys):
        errors.append(_("Two arms have the same key."))
    if any(arm.ruleset is None for arm in arms):
        errors.append(_("Each arm needs a rules version."))
    weights = [arm.weight for arm in arms]
    if any(weight is None or weight < 1 or weight > 100 for weight in weights):
        errors.append(_("Each arm's share is a whole percentage from 1 to 100."))
    elif arms and sum(weights) != 100:
        errors.append(
            _("The arms' shares add up to %(total)s%%, not 100%%.") % {"total": sum(weights)}
        )
    if errors:
        raise ValidationError({"arms": errors})


def experiment_create(*, name: str, hypothesis: str = "", arms: list[ArmSpec], by) -> Experiment:
    """A draft experiment with its arms (nothing is saved if anything is wrong)."""
    if not (name or "").strip():
        raise ValidationError({"name": _("Give the experiment a name.")})
    arms_validate(arms)
    with transaction.atomic():
        experiment = Experiment.objects.create(
            name=name.strip(), hypothesis=(hypothesis or "").strip(), created_by=by
        )
        for position, arm in enumerate(arms):
            ExperimentArm.objects.create(
                experiment=experiment,
                position=position,
                key=arm.key,
                label=arm.label or arm.key.upper(),
                ruleset=arm.ruleset,
                weight=arm.weight,
            )
        _log(experiment, ExperimentAction.CREATED, by=by, why=experiment.hypothesis)
    return experiment


def _log(experiment, action, *, by, why="", arm="", ruleset=None, at=None) -> ExperimentLog:
    return ExperimentLog.objects.create(
        experiment=experiment,
        action=action,
        by=by,
        why=why,
        arm=arm,
        ruleset=ruleset,
        at=at or timezone.now(),
    )


def _locked(experiment: Experiment) -> Experiment:
    return Experiment.objects.select_for_update().get(pk=experiment.pk)


def experiment_start(experiment: Experiment, *, by, why: str = "") -> Experiment:
    """Start a draft: from now on readers are bucketed into its arms."""
    now = timezone.now()
    try:
        with transaction.atomic():
            row = _locked(experiment)
            if row.status != ExperimentStatus.DRAFT:
                raise ValidationError(_("Only a draft experiment can start."))
            if row.arms.count() < 2:
                raise ValidationError(_("An experiment needs at least two arms."))
            row.status, row.started_at, row.started_by = ExperimentStatus.RUNNING, now, by
            row.save(update_fields=["status", "started_at", "started_by"])
            _log(row, ExperimentAction.STARTED, by=by, why=why, at=now)
    except IntegrityError:
        raise ValidationError(
            _("Another experiment is running: stop it first (one runs at a time).")
        ) from None
    forget_rules()
    return row


def experiment_stop(experiment: Experiment, *, by, why: str = "") -> Experiment:
    """Stop a running experiment: every reader gets the rules in force again."""
    now = timezone.now()
    with transaction.atomic():
        row = _locked(experiment)
        if row.status != ExperimentStatus.RUNNING:
            raise ValidationError(_("Only a running experiment can stop."))
        _end(row, ExperimentStatus.STOPPED, by=by, now=now)
        _log(row, ExperimentAction.STOPPED, by=by, why=why, at=now)
    forget_rules()
    return row


def _end(row: Experiment, status, *, by, now) -> None:
    row.status = status
    if row.stopped_at is None:
        row.stopped_at, row.stopped_by = now, by
    row.save(update_fields=["status", "stopped_at", "stopped_by", "winner", "promoted_ruleset"])


def experiment_promote(experiment: Experiment, *, arm: str, by, why: str) -> RuleSet:
    """Make ``arm``'s rules the rules in force for everyone: a new ``RuleSet``
    version copied from the arm's (who, why), and the experiment ends (a
    running one stops). Returns the new version."""
    if not (why or "").strip():
        raise ValidationError({"why": _("Say why this arm wins.")})
    now = timezone.now()
    with transaction.atomic():
        row = _locked(experiment)
        if row.status not in (ExperimentStatus.RUNNING, ExperimentStatus.STOPPED):
            raise ValidationError(_("Only a running or stopped experiment can be promoted."))
        winner = row.arms.select_related("ruleset").filter(key=arm).first()
        if winner is None:
            raise ValidationError(_("This experiment has no arm “%(arm)s”.") % {"arm": arm})
        reason = _("Experiment “%(name)s”: arm %(arm)s wins. %(why)s") % {
            "name": row.name,
            "arm": winner.key,
            "why": why.strip(),
        }
        ruleset = ruleset_create(
            rules=winner.ruleset.as_rules(), why=reason, by=by, copied_from=winner.ruleset
        )
        row.winner, row.promoted_ruleset = winner.key, ruleset
        _end(row, ExperimentStatus.PROMOTED, by=by, now=now)
        _log(
            row,
            ExperimentAction.PROMOTED,
            by=by,
            why=why.strip(),
            arm=winner.key,
            ruleset=ruleset,
            at=now,
        )
    forget_rules()
    return ruleset


def rules_for_arm(experiment: Experiment, key: str) -> PaywallRules:
    """An arm's rules as readers in it get them (the admin shows them)."""
    arm = experiment.arms.select_related("ruleset").get(key=key)
    return arm_rules(arm.ruleset, experiment_id=experiment.pk, key=key)


__all__ = [
    "Assignment",
    "ArmSpec",
    "assignment",
    "bucket_key",
    "current_rules",
    "experiment_create",
    "experiment_promote",
    "experiment_start",
    "experiment_stop",
    "flush_exposures",
    "note_exposure",
]
