"""The rules as versioned data: versions, history, rollback, the cached rules in
force, validation that changes nothing, the what-if, and the meter following
the rules' period and allowances across a change."""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from paywall import meter
from paywall.models import Meter, MeterRead, RuleSet
from paywall.rights import ReaderRights
from paywall.rules import (
    Cookieless,
    Override,
    OverrideKind,
    OverrideTarget,
    PaywallRules,
    Period,
    current_rules,
    settings_rules,
)
from paywall.rulesets import rules_what_if, ruleset_create, ruleset_rollback
from tests.factories import ArticleFactory, UserFactory

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DEFAULTS = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)


def save(rules: PaywallRules = DEFAULTS, *, why="uji", by=None, **kwargs) -> RuleSet:
    return ruleset_create(rules=rules, why=why, by=by, **kwargs)


# --- Versions and history ----------------------------------------------------------------------


def test_without_a_version_the_settings_defaults_are_in_force(settings):
    settings.PAYWALL_METER_ANONYMOUS = 3
    settings.PAYWALL_METER_REGISTERED = 10
    assert not RuleSet.objects.exists()  # the migrations need no row
    rules = current_rules()
    assert (rules.anonymous_allowance, rules.registered_allowance, rules.teaser_blocks) == (
        3,
        10,
        2,
    )
    assert (rules.period, rules.cookieless, rules.overrides) == (
        Period.CALENDAR_MONTH,
        Cookieless.NETWORK,
        (),
    )
    assert rules.from_settings
    # Other settings are other rules (a page cached under one is not served under the other).
    settings.PAYWALL_METER_ANONYMOUS = 5
    assert current_rules().version != rules.version


def test_each_change_is_a_new_version_with_who_and_why():
    staff = UserFactory()
    first = save(why="mulai", by=staff)
    second = save(replace(DEFAULTS, anonymous_allowance=5), why="lebih longgar", by=staff)
    assert (first.number, second.number) == (1, 2)
    assert list(RuleSet.objects.all()) == [second, first]  # the history, newest first
    assert (second.created_by, second.why) == (staff, "lebih longgar")
    assert current_rules().anonymous_allowance == 5
    first.refresh_from_db()
    assert first.anonymous_allowance == 3  # never edited in place


def test_versions_have_no_change_or_delete_permission():
    codenames = set(
        Permission.objects.filter(content_type__app_label="paywall").values_list(
            "codename", flat=True
        )
    )
    assert {"add_ruleset", "view_ruleset"} <= codenames
    assert not {"change_ruleset", "delete_ruleset"} & codenames


def test_rollback_is_a_new_version_copying_an_older_one():
    crisis = Override(OverrideTarget.TOPIC, "banjir", OverrideKind.FREE)
    first = save(replace(DEFAULTS, overrides=(crisis,)), why="krisis banjir")
    save(replace(DEFAULTS, anonymous_allowance=1, teaser_blocks=1), why="ketat")
    back = ruleset_rollback(to=first, by=None, why="terlalu ketat")
    assert back.number == 3
    assert back.copied_from == first
    assert back.why == "Rollback to v1: terlalu ketat"
    rules = current_rules()
    assert (rules.anonymous_allowance, rules.teaser_blocks, rules.overrides) == (3, 2, (crisis,))
    assert rules.version != first.as_rules().version  # a new version: new cached pages
    assert RuleSet.objects.count() == 3


def test_a_version_scheduled_for_later_takes_over_at_its_time():
    save()
    later = timezone.now() + timedelta(hours=2)
    save(replace(DEFAULTS, registered_allowance=20), effective_from=later)
    assert current_rules().registered_allowance == 10
    # The cached answer knows when the next version starts.
    assert current_rules(now=later + timedelta(seconds=1)).registered_allowance == 20


def test_a_new_version_cannot_start_before_the_one_in_force():
    save()
    with pytest.raises(ValidationError) as error:
        save(effective_from=timezone.now() - timedelta(days=1))
    assert "effective_from" in error.value.message_dict
    assert RuleSet.objects.count() == 1


# --- The cache ---------------------------------------------------------------------------------


def test_a_cache_hit_costs_no_sql_and_a_save_is_seen_at_once(django_assert_num_queries):
    save()
    current_rules()
    with django_assert_num_queries(0):
        assert current_rules().anonymous_allowance == 3
    save(replace(DEFAULTS, anonymous_allowance=7))
    assert current_rules().anonymous_allowance == 7
    with django_assert_num_queries(0):
        current_rules()


def test_the_cached_answer_of_no_version_costs_no_sql_either(django_assert_num_queries):
    current_rules()
    with django_assert_num_queries(0):
        assert current_rules().from_settings


# --- Bad input changes nothing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"anonymous_allowance": -1}, "anonymous_allowance"),
        ({"registered_allowance": -3}, "registered_allowance"),
        ({"teaser_blocks": 0}, "teaser_blocks"),
        ({"period": Period.ROLLING_DAYS, "period_days": None}, "period_days"),
        ({"period": Period.ROLLING_DAYS, "period_days": 0}, "period_days"),
        (
            {
                "overrides": (
                    Override(OverrideTarget.SECTION, "ekonomi", OverrideKind.FREE),
                    Override(OverrideTarget.SECTION, "ekonomi", OverrideKind.REGISTRATION_ONLY),
                )
            },
            "overrides",
        ),
        (
            {"overrides": (Override(OverrideTarget.TOPIC, "arsip", OverrideKind.ARCHIVE_WALL),)},
            "overrides",
        ),
    ],
)
def test_invalid_rules_are_refused_and_nothing_is_saved(change, field):
    save()
    before = current_rules()
    with pytest.raises(ValidationError) as error:
        save(replace(DEFAULTS, **change))
    assert field in error.value.message_dict
    assert RuleSet.objects.count() == 1
    assert current_rules() == before


def test_a_change_needs_a_reason():
    with pytest.raises(ValidationError):
        save(why="  ")
    assert not RuleSet.objects.exists()


# --- What-if -------------------------------------------------------------------------------------


def _reads(meter_row, count, *, days_ago=1):
    when = timezone.now() - timedelta(days=days_ago)
    for article in ArticleFactory.create_batch(count, access_level="metered", lead_photo=None):
        MeterRead.objects.create(meter=meter_row, article=article, period=when.date(), read_at=when)


def test_what_if_counts_recent_readers_who_reach_each_allowance():
    heavy, light, old = (Meter.objects.create(token=uuid.uuid4()) for _ in range(3))
    merged = Meter.objects.create(token=uuid.uuid4(), merged_into=UserFactory())
    _reads(heavy, 3)
    _reads(light, 1)
    _reads(old, 5, days_ago=40)  # outside the 30 days
    _reads(merged, 4)  # its reads moved to an account at login
    loyal = Meter.objects.create(user=UserFactory())
    casual = Meter.objects.create(user=UserFactory())
    _reads(loyal, 10)
    _reads(casual, 5)
    proposed = replace(DEFAULTS, anonymous_allowance=1, registered_allowance=12)
    found = rules_what_if(current=DEFAULTS, proposed=proposed)
    assert (found.anonymous.readers, found.anonymous.at_current, found.anonymous.at_proposed) == (
        2,
        1,
        2,
    )
    assert not found.anonymous.proposed_is_lower_bound
    assert (found.registered.readers, found.registered.at_current) == (2, 1)
    assert found.registered.at_proposed == 0
    assert found.registered.proposed_is_lower_bound  # a higher wall: readers stopped at 10


# --- The meter follows the rules ------------------------------------------------------------------


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


def test_rolling_days_count_the_last_n_days_today_included():
    rolling = replace(DEFAULTS, period=Period.ROLLING_DAYS, period_days=7, registered_allowance=2)
    reader = ReaderRights(authenticated=True, user_id=UserFactory().pk)
    a, b, c = ArticleFactory.create_batch(3, access_level="metered", lead_photo=None)
    monday = _local(2026, 3, 2, 9, 0)
    assert meter.meter_consume(reader=reader, article=a, now=monday, rules=rolling).counted
    assert meter.meter_consume(reader=reader, article=b, now=monday, rules=rolling).left == 0
    sunday = _local(2026, 3, 8, 23, 59)  # the 7th day: both reads still count
    assert not meter.meter_consume(reader=reader, article=c, now=sunday, rules=rolling).granted
    assert meter.meter_consume(reader=reader, article=a, now=sunday, rules=rolling).granted
    state = meter.meter_state(reader, sunday, rules=rolling)
    assert state.period_start == monday.date()
    assert state.period_end == _local(2026, 3, 9, 0, 0)
    next_monday = _local(2026, 3, 9, 0, 1)  # Monday's reads left the window at midnight
    assert meter.meter_state(reader, next_monday, rules=rolling).used == 0
    outcome = meter.meter_consume(reader=reader, article=a, now=next_monday, rules=rolling)
    assert (outcome.granted, outcome.counted) == (True, True)  # a new read of an old article


def test_reads_carry_over_when_the_allowance_or_the_period_changes():
    reader = ReaderRights(authenticated=True, user_id=UserFactory().pk)
    early, late = ArticleFactory.create_batch(2, access_level="metered", lead_photo=None)
    month = replace(DEFAULTS, registered_allowance=10)
    meter.meter_consume(reader=reader, article=early, now=_local(2026, 3, 1, 8, 0), rules=month)
    meter.meter_consume(reader=reader, article=late, now=_local(2026, 3, 14, 8, 0), rules=month)
    now = _local(2026, 3, 15, 8, 0)
    assert meter.meter_state(reader, now, rules=month).left == 8
    # A lower allowance: what was read still counts.
    assert meter.meter_state(reader, now, rules=replace(month, registered_allowance=1)).left == 0
    # Seven rolling days: only the reads of the last seven days count.
    week = replace(month, period=Period.ROLLING_DAYS, period_days=7)
    state = meter.meter_state(reader, now, rules=week)
    assert (state.used, state.read_article_ids) == (1, frozenset({late.pk}))
    # Back to the calendar month: the whole month counts again.
    assert meter.meter_state(reader, now, rules=month).used == 2


def test_a_forged_cookie_meter_stays_exhausted_for_a_rolling_window():
    rolling = replace(DEFAULTS, period=Period.ROLLING_DAYS, period_days=3)
    day = _local(2026, 3, 10, 12, 0)
    key = meter.new_anonymous_key(exhausted_in=meter.local_date(day))
    reader = ReaderRights(meter_key=key)
    assert meter.meter_state(reader, day, rules=rolling).left == 0
    assert meter.meter_state(reader, day + timedelta(days=2), rules=rolling).left == 0
    assert meter.meter_state(reader, day + timedelta(days=3), rules=rolling).left == 3
    # An old cookie marked with a month (x<YYYYMM>) still means that month.
    old_style = ReaderRights(meter_key=key.split(".")[0] + ".x202603")
    assert meter.meter_state(old_style, day, rules=DEFAULTS).left == 0


def test_a_meter_and_the_reads_in_its_window_are_read_in_one_query(django_assert_num_queries):
    """The meter of an anonymous cookie and of an account, with the reads that
    count now, come back from one query, whoever reads and whatever they read."""
    month = replace(DEFAULTS, anonymous_allowance=5, registered_allowance=5)
    early, a, b = ArticleFactory.create_batch(3, access_level="metered", lead_photo=None)
    now = _local(2026, 3, 20, 8, 0)
    cookie = ReaderRights(meter_key=meter.new_anonymous_key())
    account = ReaderRights(authenticated=True, user_id=UserFactory().pk)
    for reader in (cookie, account):
        meter.meter_consume(reader=reader, article=early, now=_local(2026, 2, 27, 8), rules=month)
        with django_assert_num_queries(1):
            assert meter.meter_state(reader, now, rules=month).used == 0  # February's read
        meter.meter_consume(reader=reader, article=a, now=now, rules=month)
        meter.meter_consume(reader=reader, article=b, now=now, rules=month)
        with django_assert_num_queries(1):
            state = meter.meter_state(reader, now, rules=month)
        assert (state.used, state.read_article_ids) == (2, frozenset({a.pk, b.pk}))
    # Another cookie's meter is its own; a forged cookie's meter has nothing left.
    other = ReaderRights(meter_key=meter.new_anonymous_key())
    meter.meter_consume(reader=other, article=a, now=now, rules=month)
    assert meter.meter_state(other, now, rules=month).read_article_ids == frozenset({a.pk})
    forged = ReaderRights(meter_key=meter.new_anonymous_key(exhausted_in=now.date()))
    meter.meter_consume(reader=forged, article=a, now=now, rules=month)
    assert Meter.objects.filter(token=uuid.UUID(forged.meter_key.split(".")[0])).exists()
    with django_assert_num_queries(1):
        assert meter.meter_state(forged, now, rules=month).left == 0


def test_settings_rules_are_the_defaults_of_today():
    rules = settings_rules()
    assert (rules.anonymous_allowance, rules.registered_allowance, rules.teaser_blocks) == (
        3,
        10,
        2,
    )


def test_the_settings_rules_follow_a_change_of_settings(settings):
    """Kept per set of values: a deploy with another allowance gets other rules,
    under another version, and the same values give the same rules again."""
    today = settings_rules()
    settings.PAYWALL_METER_ANONYMOUS = 5
    settings.PAYWALL_TEASER_BLOCKS = 3
    changed = settings_rules()
    assert (changed.anonymous_allowance, changed.teaser_blocks) == (5, 3)
    assert changed.version != today.version
    assert changed.version.startswith("s")
    settings.PAYWALL_METER_ANONYMOUS = today.anonymous_allowance
    settings.PAYWALL_TEASER_BLOCKS = today.teaser_blocks
    assert settings_rules() == today


def test_a_process_rereads_the_shared_rules_within_a_second(monkeypatch):
    """Another process's save reaches this one within ``LOCAL_SECONDS``; this one's at once."""
    from dataclasses import replace

    from django.core.cache import cache

    from paywall import rules as rules_module

    clock = [1000.0]
    monkeypatch.setattr(rules_module.time, "monotonic", lambda: clock[0])
    before = rules_module.current_rules()
    elsewhere = replace(before, anonymous_allowance=7, version="elsewhere")
    # What a save in another process leaves in the shared cache.
    cache.set(rules_module.GEN_KEY, "other", timeout=None)
    cache.set(
        rules_module.RULES_KEY, {"gen": "other", "rules": elsewhere, "until": None}, timeout=60
    )
    assert rules_module.current_rules().version == before.version  # this second's copy
    clock[0] += rules_module.LOCAL_SECONDS + 0.01
    assert rules_module.current_rules().anonymous_allowance == 7
    rules_module.forget_rules()  # a save in this process: seen at once
    assert rules_module.current_rules().version != "elsewhere"
