"""The experiments admin: who may (others get 403), the form's errors (nothing is
saved), start / stop / promote through the buttons, the results and the trail."""

import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from paywall.experiments import ArmSpec, experiment_create
from paywall.models import Experiment, ExperimentArm, ExperimentLog, RuleSet
from paywall.rules import PaywallRules, current_rules
from paywall.rulesets import ruleset_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/paywall/experiment/"
ADD = f"{CHANGELIST}add/"


@pytest.fixture
def versions():
    strict = ruleset_create(rules=PaywallRules(0, 0, 1), why="ketat", by=None)
    generous = ruleset_create(rules=PaywallRules(3, 10, 2), why="longgar", by=None)
    return generous, strict


def form(arms, name="Meter 3 vs 0") -> dict:
    data = {
        "name": name,
        "hypothesis": "Lebih ketat, lebih banyak pelanggan",
        "arms-TOTAL_FORMS": str(max(len(arms), 3)),
        "arms-INITIAL_FORMS": "0",
        "arms-MIN_NUM_FORMS": "0",
        "arms-MAX_NUM_FORMS": "1000",
    }
    for i, (key, ruleset, weight) in enumerate(arms):
        data |= {
            f"arms-{i}-key": key,
            f"arms-{i}-label": key.upper(),
            f"arms-{i}-ruleset": str(ruleset.pk) if ruleset else "",
            f"arms-{i}-weight": "" if weight is None else str(weight),
        }
    return data


@pytest.fixture
def staff(client):
    user = UserFactory(role=SUBSCRIPTION_STAFF)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("role", [SUBSCRIPTION_STAFF, CHIEF_EDITOR])
def test_subscription_staff_and_the_chief_editor_create_and_start(client, role, versions):
    generous, strict = versions
    user = UserFactory(role=role)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, form([("a", generous, 50), ("b", strict, 50)]))
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert (experiment.status, experiment.created_by) == ("draft", user)
    assert list(experiment.arms.values_list("key", "ruleset", "weight")) == [
        ("a", generous.pk, 50),
        ("b", strict.pk, 50),
    ]
    page = client.get(f"{CHANGELIST}{experiment.pk}/change/")
    assert 'id="experiment-results"' in page.content.decode()
    assert client.post(f"{CHANGELIST}{experiment.pk}/start/", {"why": "mulai"}).status_code == 302
    experiment.refresh_from_db()
    assert (experiment.status, experiment.started_by) == ("running", user)
    assert current_rules(rights=_reader()).arm in {"a", "b"}  # the cached rules changed at once


def _reader():
    from paywall.rights import ReaderRights

    return ReaderRights(meter_key="0123456789abcdef0123456789abcdef")


@pytest.mark.parametrize("role", [REPORTER, EDITOR])
def test_other_roles_get_403_everywhere(client, role, versions):
    generous, strict = versions
    experiment = experiment_create(
        name="x", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=None
    )
    client.force_login(UserFactory(role=role))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, form([("a", generous, 50), ("b", strict, 50)])).status_code == 403
    assert client.get(f"{CHANGELIST}{experiment.pk}/change/").status_code == 403
    for action in ("start", "stop", "promote"):
        response = client.post(f"{CHANGELIST}{experiment.pk}/{action}/", {"arm": "b", "why": "x"})
        assert response.status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == "draft"
    assert Experiment.objects.count() == 1


SHARES = "The arms' shares add up to %(total)s%%, not 100%%."


@pytest.mark.parametrize(
    ("arms", "message", "params"),
    [
        ([("a", "g", 50), ("b", "s", 40)], SHARES, {"total": 90}),
        ([("a", "g", 60), ("b", "s", 60)], SHARES, {"total": 120}),
        ([], "An experiment needs at least two arms.", None),
        ([("a", "g", 100)], "An experiment needs at least two arms.", None),
        ([("a", "g", 50), ("b", None, 50)], "Each arm needs a rules version.", None),
        ([("a", "g", 50), ("a", "s", 50)], "Two arms have the same key.", None),
        (
            [("a", "g", 0), ("b", "s", 100)],
            "Each arm's share is a whole percentage from 1 to 100.",
            None,
        ),
    ],
)
def test_bad_arms_are_a_form_error_and_nothing_is_saved(staff, versions, arms, message, params):
    generous, strict = versions
    named = {"g": generous, "s": strict, None: None}
    response = staff.post(ADD, form([(k, named[r], w) for k, r, w in arms]))
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("id"):  # the admin speaks Indonesian by default
        expected = gettext(message) % params if params else gettext(message)
        assert gettext("Please correct the errors below. Nothing was saved.") in html
    assert expected != message  # translated
    assert escape(expected) in html
    assert not Experiment.objects.exists()
    assert not ExperimentArm.objects.exists()
    assert not ExperimentLog.objects.exists()


def test_stop_and_promote_through_the_buttons_are_audited(staff, versions):
    generous, strict = versions
    staff.post(ADD, form([("a", generous, 50), ("b", strict, 50)]))
    experiment = Experiment.objects.get()
    base = f"{CHANGELIST}{experiment.pk}"
    assert staff.get(f"{base}/start/").status_code == 405  # POST only
    staff.post(f"{base}/start/", {"why": "mulai"})
    staff.post(f"{base}/stop/", {"why": "cukup data"})
    # Promoting needs a reason: refused, nothing changes.
    before = RuleSet.objects.count()
    staff.post(f"{base}/promote/", {"arm": "b", "why": ""})
    assert RuleSet.objects.count() == before
    staff.post(f"{base}/promote/", {"arm": "b", "why": "konversi naik"})
    assert RuleSet.objects.count() == before + 1
    promoted = RuleSet.objects.order_by("-number").first()
    assert (promoted.copied_from, promoted.created_by) == (strict, staff.user)
    assert current_rules().anonymous_allowance == 0
    trail = list(ExperimentLog.objects.values_list("action", "by", "why", "arm"))
    assert trail == [
        ("created", staff.user.pk, "Lebih ketat, lebih banyak pelanggan", ""),
        ("started", staff.user.pk, "mulai", ""),
        ("stopped", staff.user.pk, "cukup data", ""),
        ("promoted", staff.user.pk, "konversi naik", "b"),
    ]
    page = staff.get(f"{base}/change/").content.decode()
    assert "konversi naik" in page
    assert 'id="experiment-actions"' in page  # still shown; no start/stop once promoted
    assert "start/" not in page.split('id="experiment-actions"')[1].split("</fieldset>")[0]


def test_the_start_stop_and_promote_forms_are_not_inside_the_change_form(staff, versions):
    """Browsers drop a form nested in another: its button would submit the change
    form (and save nothing of the experiment's state)."""
    generous, strict = versions
    experiment = experiment_create(
        name="Meter", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=staff.user
    )
    html = staff.get(f"{CHANGELIST}{experiment.pk}/change/").content.decode()
    opened = html.index('id="experiment_form"')
    change_form = html[opened : html.index("</form>", opened)]
    assert f'action="{CHANGELIST}{experiment.pk}/start/"' in html
    assert "/start/" not in change_form
    assert 'id="experiment-results"' in change_form  # the results stay with the fields
