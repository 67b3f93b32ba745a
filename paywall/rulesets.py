"""Changing the paywall rules: every write goes through here (admin, shell, tests).

A change is a new ``RuleSet`` version (who, why, from when), never an edit; a
rollback is a new version copying an older one. ``rules_validate`` is the one
check of a rule set (the admin's form shows its messages). ``rules_what_if``
is what staff see before saving: how many recent readers would reach the wall
under the proposed allowances, next to the current ones.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import MeterRead, RuleOverride, RuleSet
from .rules import OverrideKind, OverrideTarget, PaywallRules, Period


def rules_validate(rules: PaywallRules) -> None:
    """Raise ``ValidationError`` (by field name) for rules that cannot be saved."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("anonymous_allowance", "registered_allowance", "network_allowance"):
        if getattr(rules, field) < 0:
            error(field, _("An allowance cannot be negative."))
    if rules.teaser_blocks < 1:
        error("teaser_blocks", _("The teaser needs at least one block."))
    if rules.period == Period.ROLLING_DAYS and not (rules.period_days or 0) >= 1:
        error("period_days", _("A rolling period needs its number of days (1 or more)."))
    if rules.premium_metered_hours is not None and rules.premium_metered_hours < 1:
        error("premium_metered_hours", _("Leave it empty, or give 1 hour or more."))
    seen: dict[tuple[str, str], str] = {}
    for override in rules.overrides:
        key = (str(override.target), override.slug)
        if key in seen:
            error(
                "overrides",
                _("%(target)s “%(slug)s” has two overrides (%(a)s, %(b)s): keep one.")
                % {
                    "target": OverrideTarget(override.target).label,
                    "slug": override.slug,
                    "a": seen[key],
                    "b": OverrideKind(override.kind).label,
                },
            )
        seen[key] = OverrideKind(override.kind).label
        if override.kind == OverrideKind.ARCHIVE_WALL and not (override.days or 0) >= 1:
            error(
                "overrides",
                _("The archive wall of “%(slug)s” needs its number of days (1 or more).")
                % {"slug": override.slug},
            )
    if errors:
        raise ValidationError(errors)


def ruleset_create(
    *,
    rules: PaywallRules,
    why: str,
    by,
    effective_from: datetime | None = None,
    copied_from: RuleSet | None = None,
) -> RuleSet:
    """Save ``rules`` as the next version, in force from ``effective_from`` (now if None).

    The version in force is the one with the latest ``effective_from`` not in
    the future, so a new version may not start before the one in force now
    (it would never apply). The cached rules are forgotten on save (signals).
    """
    now = timezone.now()
    effective_from = effective_from or now
    if not (why or "").strip():
        raise ValidationError({"why": _("Say why the rules change.")})
    rules_validate(rules)
    in_force = RuleSet.objects.active(at=now).values_list("effective_from", flat=True).first()
    if in_force is not None and effective_from < in_force:
        raise ValidationError(
            {
                "effective_from": _(
                    "The version in force started at %(start)s: a new one cannot start earlier."
                )
                % {"start": timezone.localtime(in_force).strftime("%Y-%m-%d %H:%M")}
            }
        )
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _create(rules, why.strip(), by, effective_from, copied_from, now)
        except IntegrityError:
            if attempt == 2:  # pragma: no cover - three concurrent saves in a row
                raise
    raise AssertionError("unreachable")


def _create(rules, why, by, effective_from, copied_from, now) -> RuleSet:
    # The next number; a concurrent save taking it first fails the unique key
    # and the caller tries again.
    number = (RuleSet.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    ruleset = RuleSet(
        number=number,
        effective_from=effective_from,
        anonymous_allowance=rules.anonymous_allowance,
        registered_allowance=rules.registered_allowance,
        period=rules.period,
        period_days=rules.period_days if rules.period == Period.ROLLING_DAYS else None,
        teaser_blocks=rules.teaser_blocks,
        cookieless=rules.cookieless,
        network_allowance=rules.network_allowance,
        premium_metered_hours=rules.premium_metered_hours,
        why=why,
        created_by=by,
        created_at=now,
        copied_from=copied_from,
    )
    ruleset.full_clean()
    ruleset.save()
    for override in rules.overrides:
        row = RuleOverride(
            ruleset=ruleset,
            target=override.target,
            slug=override.slug,
            kind=override.kind,
            days=override.days if override.kind == OverrideKind.ARCHIVE_WALL else None,
        )
        row.full_clean()
        row.save()
    return ruleset


def ruleset_rollback(*, to: RuleSet, by, why: str = "") -> RuleSet:
    """Put the rules of version ``to`` back in force now, as a new version."""
    reason = _("Rollback to %(version)s") % {"version": to}
    if why.strip():
        reason = f"{reason}: {why.strip()}"
    return ruleset_create(rules=to.as_rules(), why=reason, by=by, copied_from=to)


# --- What-if ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WallCount:
    """Readers of one kind (anonymous or registered) who read metered articles in
    the window, and how many of them read at least each allowance's worth."""

    readers: int
    current_allowance: int
    at_current: int
    proposed_allowance: int
    at_proposed: int

    @property
    def proposed_is_lower_bound(self) -> bool:
        """A higher allowance than today's: readers stopped at today's wall, so we
        cannot see how many would have read on; the count is at least this."""
        return self.proposed_allowance > self.current_allowance


@dataclass(frozen=True)
class WhatIf:
    since: datetime
    days: int
    anonymous: WallCount
    registered: WallCount

    @property
    def rows(self) -> list[tuple[str, WallCount]]:
        return [(_("Anonymous"), self.anonymous), (_("Registered"), self.registered)]


def rules_what_if(
    *, current: PaywallRules, proposed: PaywallRules, now: datetime | None = None, days: int = 30
) -> WhatIf:
    """From the ``MeterRead`` rows of the last ``days`` days: per reader kind, how
    many readers read at least the current and the proposed allowance of
    different metered articles (they reach the wall). Anonymous meters merged
    into an account at login are left out (their reads moved to the account).
    Six counting queries."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    reads = MeterRead.objects.filter(read_at__gte=since, meter__merged_into__isnull=True)

    def count(*, registered: bool) -> WallCount:
        per_reader = (
            reads.filter(meter__user__isnull=not registered)
            .values("meter_id")
            .annotate(articles=Count("article_id", distinct=True))
        )
        now_allowance = current.allowance_for(authenticated=registered)
        new_allowance = proposed.allowance_for(authenticated=registered)
        return WallCount(
            readers=per_reader.count(),
            current_allowance=now_allowance,
            at_current=per_reader.filter(articles__gte=now_allowance).count(),
            proposed_allowance=new_allowance,
            at_proposed=per_reader.filter(articles__gte=new_allowance).count(),
        )

    return WhatIf(
        since=since,
        days=days,
        anonymous=count(registered=False),
        registered=count(registered=True),
    )
