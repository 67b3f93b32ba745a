"""The paywall rules admin: who may see and change them, the form's errors (which
change nothing), the what-if before saving, the history and the rollback."""

import re
from dataclasses import replace

import pytest
from django.utils import timezone

from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from paywall.models import RuleSet
from paywall.rules import PaywallRules, current_rules
from paywall.rulesets import ruleset_create
from tests.factories import SectionFactory, TopicFactory, UserFactory

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CHANGELIST = "/admin/paywall/ruleset/"
ADD = "/admin/paywall/ruleset/add/"
DEFAULTS = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)


def form_data(*, overrides=(), **changes) -> dict:
    now = timezone.localtime()
    data = {
        "anonymous_allowance": "3",
        "registered_allowance": "10",
        "period": "calendar_month",
        "period_days": "",
        "teaser_blocks": "2",
        "cookieless": "network",
        "network_allowance": "1000",
        "premium_metered_hours": "",
        "effective_from_0": now.strftime("%Y-%m-%d"),
        "effective_from_1": now.strftime("%H:%M:%S"),
        "why": "uji coba",
        "overrides-TOTAL_FORMS": str(len(overrides)),
        "overrides-INITIAL_FORMS": "0",
        "overrides-MIN_NUM_FORMS": "0",
        "overrides-MAX_NUM_FORMS": "1000",
    }
    for i, (target, kind, days) in enumerate(overrides):
        data |= {
            f"overrides-{i}-target": target,
            f"overrides-{i}-kind": kind,
            f"overrides-{i}-days": str(days or ""),
        }
    return data | {k: str(v) for k, v in changes.items()}


def previewed(client, data: dict) -> dict:
    """Show the what-if, then return the data with the token that allows "save"."""
    page = client.post(ADD, data | {"_preview": "1"})
    assert page.status_code == 200
    token = re.search(r'name="previewed" value="([^"]+)"', page.content.decode())
    assert token, "no what-if shown"
    return data | {"previewed": token.group(1), "_save": "1"}


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role=SUBSCRIPTION_STAFF))
    return client


# --- Who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [SUBSCRIPTION_STAFF, CHIEF_EDITOR])
def test_subscription_staff_and_the_chief_editor_see_the_history_and_the_form(client, role):
    version = ruleset_create(rules=DEFAULTS, why="awal", by=None)
    client.force_login(UserFactory(role=role))
    history = client.get(CHANGELIST)
    assert history.status_code == 200
    assert "awal" in history.content.decode()
    assert client.get(ADD).status_code == 200
    detail = client.get(f"{CHANGELIST}{version.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only: never edited


@pytest.mark.parametrize("role", [REPORTER, EDITOR])
def test_other_roles_get_403_everywhere(client, role):
    version = ruleset_create(rules=DEFAULTS, why="awal", by=None)
    client.force_login(UserFactory(role=role))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(f"{CHANGELIST}{version.pk}/change/").status_code == 403
    assert client.post(ADD, form_data(anonymous_allowance=9, _save="1")).status_code == 403
    assert client.post(f"{CHANGELIST}{version.pk}/rollback/").status_code == 403
    assert RuleSet.objects.count() == 1


def test_a_staff_member_without_a_role_gets_403(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403


# --- The form ---------------------------------------------------------------------------------


def test_save_needs_the_what_if_of_exactly_these_values_first(staff_client):
    data = form_data(anonymous_allowance=5)
    blind = staff_client.post(ADD, data | {"_save": "1"})
    assert blind.status_code == 200
    assert not RuleSet.objects.exists()
    assert 'id="what-if"' in blind.content.decode()
    ready = previewed(staff_client, data)
    changed = staff_client.post(ADD, ready | {"anonymous_allowance": "6"})  # not what was shown
    assert changed.status_code == 200
    assert not RuleSet.objects.exists()
    saved = staff_client.post(ADD, ready)
    assert saved.status_code == 302
    version = RuleSet.objects.get()
    assert (version.number, version.anonymous_allowance, version.why) == (1, 5, "uji coba")
    assert current_rules().anonymous_allowance == 5


def test_the_form_saves_overrides_by_section_and_topic(staff_client):
    SectionFactory(slug="ekonomi", name="Ekonomi")
    TopicFactory(slug="banjir", name="Banjir")
    data = form_data(
        overrides=[("section:ekonomi", "archive_wall", 30), ("topic:banjir", "free", None)],
        premium_metered_hours=6,
    )
    page = staff_client.get(ADD).content.decode()
    assert 'value="section:ekonomi"' in page
    assert 'value="topic:banjir"' in page
    assert staff_client.post(ADD, previewed(staff_client, data)).status_code == 302
    rules = current_rules()
    assert rules.premium_metered_hours == 6
    assert {(o.target, o.slug, o.kind, o.days) for o in rules.overrides} == {
        ("section", "ekonomi", "archive_wall", 30),
        ("topic", "banjir", "free", None),
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"anonymous_allowance": "-1"}, "An allowance cannot be negative."),
        ({"registered_allowance": "-5"}, "An allowance cannot be negative."),
        ({"teaser_blocks": "0"}, "The teaser needs at least one block."),
        ({"period": "rolling_days"}, "A rolling period needs its number of days"),
        ({"why": ""}, 'id="id_why_error"'),
        (
            {
                "overrides": [
                    ("section:ekonomi", "free", None),
                    ("section:ekonomi", "archive_wall", 9),
                ]
            },
            "has two overrides",
        ),
        ({"overrides": [("topic:banjir", "archive_wall", None)]}, "needs its number of days"),
        ({"overrides": [("section:tidak-ada", "free", None)]}, 'id="id_overrides-0-target_error"'),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(staff_client, changes, message):
    SectionFactory(slug="ekonomi")
    TopicFactory(slug="banjir")
    ruleset_create(rules=DEFAULTS, why="awal", by=None)
    before = current_rules()
    data = form_data(overrides=changes.pop("overrides", ()), **changes)
    for attempt in (data | {"_preview": "1"}, data | {"_save": "1", "previewed": "x"}):
        page = staff_client.post(ADD, attempt)
        assert page.status_code == 200
        html = page.content.decode()
        assert message in html
        assert 'name="_save"' not in html  # no what-if for invalid rules, so no save button
    assert RuleSet.objects.count() == 1
    assert current_rules() == before


# --- History and rollback -----------------------------------------------------------------------


def test_rollback_from_the_history_puts_an_old_version_back_as_a_new_one(staff_client):
    first = ruleset_create(rules=DEFAULTS, why="awal", by=None)
    ruleset_create(rules=replace(DEFAULTS, anonymous_allowance=1), why="ketat", by=None)
    detail = staff_client.get(f"{CHANGELIST}{first.pk}/change/").content.decode()
    assert 'id="rollback"' in detail
    assert 'id="what-if"' in detail  # the effect of going back, before the click
    response = staff_client.post(f"{CHANGELIST}{first.pk}/rollback/", {"why": "keluhan"})
    assert response.status_code == 302
    latest = RuleSet.objects.first()
    assert (latest.number, latest.copied_from, latest.anonymous_allowance) == (3, first, 3)
    assert latest.why == "Rollback to v1: keluhan"
    assert current_rules().anonymous_allowance == 3
    history = staff_client.get(CHANGELIST).content.decode()
    assert all(f"v{n}" in history for n in (1, 2, 3))
    assert staff_client.get(f"{CHANGELIST}{first.pk}/rollback/").status_code == 405


def test_the_unused_override_rows_a_browser_posts_leave_the_form_valid(staff_client):
    """A browser posts every row of the form, each select with its first option: the
    two empty override rows must post nothing (a blank kind) and change nothing."""
    page = staff_client.get(ADD).content.decode()
    for i in range(2):
        select = re.search(
            rf'<select name="overrides-{i}-kind"[^>]*>\s*<option value="(\w*)"', page
        )
        assert select, page
        assert select.group(1) == ""
    unused = {"overrides-TOTAL_FORMS": "2"} | {
        f"overrides-{i}-{field}": "" for i in range(2) for field in ("target", "kind", "days")
    }
    data = previewed(staff_client, form_data(anonymous_allowance=5) | unused)
    assert staff_client.post(ADD, data).status_code == 302
    assert current_rules().anonymous_allowance == 5


# --- While an experiment runs ------------------------------------------------------------


def test_the_history_and_the_form_say_a_running_experiment_keeps_its_readers_rules(staff_client):
    from paywall.experiments import ArmSpec, experiment_create, experiment_start

    generous = ruleset_create(rules=replace(DEFAULTS, anonymous_allowance=5), why="a", by=None)
    strict = ruleset_create(rules=DEFAULTS, why="b", by=None)
    assert "is running" not in staff_client.get(CHANGELIST).content.decode()
    experiment = experiment_create(
        name="Meter lima", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=None
    )
    experiment_start(experiment, by=None)
    for url in (CHANGELIST, ADD):
        page = staff_client.get(url).content.decode()
        assert "The experiment \u201cMeter lima\u201d is running" in page
        assert "only once the experiment is stopped" in page
