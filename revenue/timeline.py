"""What changed in the paywall, in order: rule versions (who, why, from when, how
the allowances moved) and experiments (created, started, stopped, promoted:
who and why), so a bend in a chart can be read against the change that caused it.
Two queries, at most ``LIMIT`` entries of each kind."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from paywall.models import ExperimentLog, RuleSet

LIMIT = 200


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "rules" or "experiment"
    title: str
    change: str
    who: str
    why: str


def _who(user) -> str:
    if user is None:
        return _("system")
    return user.get_full_name() or user.get_username()


def _allowances(previous: RuleSet | None, version: RuleSet) -> str:
    parts = []
    for field, label in (
        ("anonymous_allowance", _("anonymous")),
        ("registered_allowance", _("registered")),
    ):
        new = getattr(version, field)
        old = None if previous is None else getattr(previous, field)
        parts.append(f"{label} {new}" if old in (None, new) else f"{label} {old} → {new}")
    return ", ".join(parts)


def rule_versions(*, start_at: datetime, end_at: datetime) -> list[Entry]:
    """Rule versions in force from a moment in ``[start_at, end_at)``, each with its
    allowances against the version before it (by ``effective_from``)."""
    versions = list(
        RuleSet.objects.filter(effective_from__lt=end_at)
        .select_related("created_by", "copied_from")
        .order_by("-effective_from", "-number")[: LIMIT + 1]
    )
    versions.reverse()
    entries = []
    for previous, version in zip([None, *versions], versions, strict=False):
        if version.effective_from < start_at:
            continue
        title = _("Rules %(version)s in force") % {"version": version}
        if version.copied_from_id:  # a rollback, or a promoted experiment arm
            title += " " + _("(a copy of %(version)s)") % {"version": version.copied_from}
        entries.append(
            Entry(
                at=version.effective_from,
                kind="rules",
                title=title,
                change=_allowances(previous, version),
                who=_who(version.created_by),
                why=version.why,
            )
        )
    return entries


def experiment_changes(*, start_at: datetime, end_at: datetime) -> list[Entry]:
    """Experiments created, started, stopped and promoted in ``[start_at, end_at)``."""
    rows = (
        ExperimentLog.objects.filter(at__gte=start_at, at__lt=end_at)
        .select_related("experiment", "by", "ruleset")
        .order_by("-at", "-pk")[:LIMIT]
    )
    entries = []
    for row in rows:
        change = ""
        if row.arm:
            change = _("arm %(arm)s") % {"arm": row.arm}
        if row.ruleset_id:
            change = f"{change} → {row.ruleset}".strip(" →") if change else str(row.ruleset)
        entries.append(
            Entry(
                at=row.at,
                kind="experiment",
                title=f"{row.experiment.name}: {row.get_action_display()}",
                change=change,
                who=_who(row.by),
                why=row.why,
            )
        )
    return entries


def timeline(*, start_at: datetime, end_at: datetime) -> list[Entry]:
    """Both kinds of change, newest first."""
    entries = rule_versions(start_at=start_at, end_at=end_at) + experiment_changes(
        start_at=start_at, end_at=end_at
    )
    return sorted(entries, key=lambda e: e.at, reverse=True)
