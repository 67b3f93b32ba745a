"""The times an editor or API client may give an article: one window, one set of rules.

A publish, embargo or expiry time far outside the present is always a typo
or a probe, and an extreme one breaks pages: ``9999-12-31T23:59:59+00:00``
is the year 10000 in Asia/Jakarta (an ``OverflowError`` wherever it is
shown), and PostgreSQL's date arithmetic fails on it in the article list.
So every such time is refused unless it falls between ``EARLIEST`` and
``MAX_AHEAD`` from now. The admin form, the workflow's Schedule action, the
API and revision restore all ask these functions.
"""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=5 * 365)
TIME_FIELDS = ("publish_at", "embargo_until", "expires_at")


def latest(*, now: datetime) -> datetime:
    return now + MAX_AHEAD


def check_time(value: datetime | None, *, now: datetime) -> None:
    """Refuse a time outside the window (None, "no time", is always allowed)."""
    if value is None:
        return
    if timezone.is_naive(value):
        raise ValidationError(_("Give the time with its time zone."), code="naive_time")
    # Aware datetimes compare without converting, so even year 9999 at -14:00
    # is refused here rather than overflowing.
    if value < EARLIEST or value > latest(now=now):
        raise ValidationError(
            _("Choose a time between %(earliest)s and %(latest)s.")
            % {
                "earliest": f"{timezone.localtime(EARLIEST):%Y-%m-%d}",
                "latest": f"{timezone.localtime(latest(now=now)):%Y-%m-%d}",
            },
            code="time_out_of_range",
        )


def check_publish_at(value: datetime | None, *, now: datetime) -> None:
    """The rule for a schedule's time: given, in the future, within the window."""
    if value is None:
        raise ValidationError(_("Give the date and time to publish."), code="required")
    check_time(value, now=now)
    if value <= now:
        raise ValidationError(_("The publish time must be in the future."), code="past")


def check_changed_times(*, before: dict, after: dict, now: datetime) -> None:
    """Check each time field whose value changes; errors are keyed by field name.

    Only changed values are checked, so a time stored before these rules
    existed does not block an unrelated edit (the admin form shows it anyway).
    """
    problems = {}
    for name in TIME_FIELDS:
        if name in after and after[name] != before.get(name):
            try:
                check_time(after[name], now=now)
            except ValidationError as error:
                problems[name] = error.messages
    if problems:
        raise ValidationError(problems)
