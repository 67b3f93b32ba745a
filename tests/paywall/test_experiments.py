"""Experiments through real requests: bucketing, the arm's rules on the page (the
page cache's fast path included), exposures once per reader, a reader who signs
in keeps their arm, and start / stop / promote with their audit trail."""

import uuid
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from paywall import experiments, meter
from paywall.experiments import (
    Arm,
    ArmSpec,
    RunningExperiment,
    bucket_key,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
    flush_exposures,
)
from paywall.models import Experiment, ExperimentLog, ExperimentStatus, Exposure, RuleSet
from paywall.rights import Crawler, ReaderRights, signed_in
from paywall.rules import PaywallRules, current_rules
from paywall.rulesets import ruleset_create
from tests.factories import ArticleFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

GENEROUS = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
STRICT = PaywallRules(anonymous_allowance=0, registered_allowance=0, teaser_blocks=1)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.PAYWALL_CRAWLER_VERIFIER = ""
    experiments.forget_exposure_buffer()
    yield
    experiments.forget_exposure_buffer()


@pytest.fixture
def versions():
    """Arm B's rules (nobody reads a metered article free), then arm A's, in force."""
    strict = ruleset_create(rules=STRICT, why="ketat", by=None)
    generous = ruleset_create(rules=GENEROUS, why="longgar", by=None)
    return generous, strict


@pytest.fixture
def running(versions):
    generous, strict = versions
    experiment = experiment_create(
        name="Meter 3 vs 0",
        arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)],
        by=None,
    )
    return experiment_start(experiment, by=None)


def key_in(arm: str, experiment_id: int) -> str:
    """A fresh anonymous meter id that falls into ``arm``."""
    spec = experiments.running()
    assert spec is not None
    assert spec.id == experiment_id
    while True:
        key = meter.new_anonymous_key()
        if spec.arm_for(ReaderRights(meter_key=key)).key == arm:
            return key


def browser(key: str) -> Client:
    client = Client()
    client.cookies[settings.PAYWALL_METER_COOKIE] = meter.sign_meter_key(key)
    return client


def article(level: str, name: str = "x"):
    word = "".join(c for c in name if c.isalpha())
    made = ArticleFactory(
        headline=f"Judul {name}",
        body="\n".join(
            [
                "<p>Pembuka.</p>",
                "<p>Lanjutan.</p>",
                f"<p>qvzrahasia{word} hanya untuk yang berhak.</p>",
            ]
        ),
        access_level=level,
        section=SectionFactory(),
        lead_photo=None,
        published_at=timezone.now() - timedelta(hours=1),
    )
    made.secret = f"qvzrahasia{word}"
    return made


def reason(response) -> str | None:
    html = response.content.decode()
    if 'data-paywall="' not in html:
        return None
    return html.split('data-paywall="', 1)[1].split('"', 1)[0]


# --- Bucketing ---------------------------------------------------------------------------------


def _spec(weights) -> RunningExperiment:
    rules = PaywallRules(anonymous_allowance=1, registered_allowance=1, teaser_blocks=1)
    keys = "abcdefgh"
    return RunningExperiment(
        id=7, arms=tuple(Arm(keys[i], w, rules) for i, w in enumerate(weights))
    )


@hsettings(max_examples=200, deadline=None)
@given(token=st.uuids(), user_id=st.integers(min_value=1, max_value=10**9))
def test_a_reader_keeps_their_arm_whatever_else_changes(token, user_id):
    spec = _spec([30, 30, 40])
    key = token.hex
    anonymous = spec.arm_for(ReaderRights(meter_key=key)).key
    # The same browser signed in, with or without a plan, and a tampered-then-reissued form.
    assert (
        spec.arm_for(signed_in(user_id=user_id, entitlements=[], browser_key=key)).key == anonymous
    )
    assert (
        spec.arm_for(
            signed_in(user_id=user_id, entitlements=["premium_content"], browser_key=key)
        ).key
        == anonymous
    )
    assert spec.arm_for(ReaderRights(meter_key=f"{key}.x20260101")).key == anonymous
    # Without a meter cookie, the account decides.
    by_user = spec.arm_for(signed_in(user_id=user_id, entitlements=[])).key
    assert spec.arm_for(signed_in(user_id=user_id, entitlements=[])).key == by_user


def test_the_buckets_follow_the_split():
    spec = _spec([20, 30, 50])
    counts = Counter(
        spec.arm_for(ReaderRights(meter_key=uuid.UUID(int=i * 7919 + 13).hex)).key
        for i in range(20_000)
    )
    shares = {arm: counts[arm] / 20_000 for arm in "abc"}
    # 20,000 readers: the standard error of a 20% share is 0.28%; 1.5% is over 5 of them.
    assert shares == pytest.approx({"a": 0.20, "b": 0.30, "c": 0.50}, abs=0.015)


def test_the_same_reader_lands_independently_in_two_experiments():
    rules = PaywallRules(anonymous_allowance=1, registered_allowance=1, teaser_blocks=1)
    one = RunningExperiment(id=1, arms=(Arm("a", 50, rules), Arm("b", 50, rules)))
    two = RunningExperiment(id=2, arms=(Arm("a", 50, rules), Arm("b", 50, rules)))
    pairs = Counter(
        (one.arm_for(r).key, two.arm_for(r).key)
        for r in (ReaderRights(meter_key=uuid.UUID(int=i).hex) for i in range(4000))
    )
    assert len(pairs) == 4
    assert min(pairs.values()) > 800


def test_crawlers_previews_and_new_visitors_are_outside():
    assert bucket_key(ReaderRights(meter_key="ab", crawler=Crawler.VERIFIED)) == ""
    assert bucket_key(ReaderRights()) == ""
    assert bucket_key(ReaderRights(meter_key="ab", hypothetical=True)) == ""
    assert bucket_key(ReaderRights(meter_key="ab.x20260101")) == "m:ab"
    assert bucket_key(signed_in(user_id=5, entitlements=[])) == "u:5"
    assert bucket_key(signed_in(user_id=5, entitlements=[], browser_key="cd")) == "m:cd"


# --- The arm's rules -------------------------------------------------------------------------


def test_current_rules_answers_each_reader_their_arms_rules(running, versions):
    generous, strict = versions
    a, b = key_in("a", running.pk), key_in("b", running.pk)
    in_force = current_rules()
    assert in_force.version == generous.as_rules().version  # no reader: the version in force
    rules_a = current_rules(rights=ReaderRights(meter_key=a))
    rules_b = current_rules(rights=ReaderRights(meter_key=b))
    assert (rules_a.anonymous_allowance, rules_a.arm) == (3, "a")
    assert (rules_b.anonymous_allowance, rules_b.arm) == (0, "b")
    assert len({in_force.version, rules_a.version, rules_b.version}) == 3
    assert current_rules(rights=ReaderRights()).version == in_force.version  # no cookie yet


def test_arm_b_gates_where_arm_a_grants_and_the_cache_never_mixes_them(running):
    story = article("metered", "meter")
    url = story.get_absolute_url()
    a = browser(key_in("a", running.pk))
    b = browser(key_in("b", running.pk))
    first = a.get(url)
    assert story.secret in first.content.decode()
    assert reason(first) is None
    assert "private" in first["Cache-Control"]
    again = a.get(url)  # a re-read: the fast path serves arm A's page to arm A
    assert again["X-Page-Cache"] == "hit"
    assert story.secret in again.content.decode()
    for _ in range(2):  # cold, then the cached gate
        gated = b.get(url)
        assert story.secret not in gated.content.decode()
        assert reason(gated) == "meter_exhausted"
    assert gated["X-Page-Cache"] == "hit"


def test_a_new_visitor_first_read_is_decided_under_the_arm_its_new_id_falls_in(running):
    story = article("metered", "baru")
    outcomes = set()
    for _ in range(12):
        client = Client()
        page = client.get(story.get_absolute_url())
        cookie = client.cookies[settings.PAYWALL_METER_COOKIE].value
        key = meter.meter_key_from_cookie(SimpleNamespace(COOKIES={"nr_meter": cookie}))
        arm = experiments.running().arm_for(ReaderRights(meter_key=key)).key
        outcomes.add((arm, story.secret in page.content.decode()))
    # Arm A reads its first metered article; arm B is gated at once.
    assert outcomes == {("a", True), ("b", False)}


def test_a_cache_hit_in_an_arm_costs_no_sql(running, django_assert_num_queries):
    story = article("premium", "premi")
    url = story.get_absolute_url()
    reader = browser(key_in("b", running.pk))
    assert reader.get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        hit = reader.get(url)
    assert hit["X-Page-Cache"] == "hit"
    assert reason(hit) == "premium_login"
    assert story.secret not in hit.content.decode()
    assert "private" in hit["Cache-Control"]  # an arm's page is never shared


def test_a_signed_in_cache_hit_in_an_arm_costs_no_sql(running, django_assert_num_queries):
    story = article("premium", "premu")
    url = story.get_absolute_url()
    reader = browser(key_in("b", running.pk))
    reader.force_login(UserFactory())
    assert reader.get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        hit = reader.get(url)
    assert hit["X-Page-Cache"] == "hit"
    assert reason(hit) == "subscription_required"
    assert story.secret not in hit.content.decode()


def test_stopping_the_experiment_changes_the_next_page_at_once(running):
    story = article("metered", "stop")
    url = story.get_absolute_url()
    b = browser(key_in("b", running.pk))
    assert reason(b.get(url)) == "meter_exhausted"
    experiment_stop(running, by=None, why="cukup")
    after = b.get(url)
    assert after["X-Page-Cache"] == "miss"
    assert story.secret in after.content.decode()  # the rules in force: 3 reads


# --- Exposure ---------------------------------------------------------------------------------


def test_exposure_once_per_reader_and_only_when_the_rules_show(running):
    free = article("free", "bebas")
    stories = [article("metered", f"m{i}") for i in range(3)]
    key = key_in("a", running.pk)
    reader = browser(key)
    reader.get(free.get_absolute_url())
    reader.get("/")
    flush_exposures()
    assert not Exposure.objects.exists()  # a free article and the home page meet nothing
    for story in stories + stories:
        reader.get(story.get_absolute_url())
    flush_exposures()
    exposure = Exposure.objects.get()
    assert (exposure.arm, exposure.reader, exposure.user_id) == ("a", f"m:{key}", None)
    # Another process that saw the same reader writes nothing more.
    experiments.forget_exposure_buffer()
    reader.get(stories[0].get_absolute_url())  # a fast-path hit this time
    flush_exposures()
    assert Exposure.objects.count() == 1


def test_exposures_wait_in_the_buffer_then_go_in_one_batch(running, django_assert_num_queries):
    story = article("premium", "buf")
    readers = [browser(key_in(arm, running.pk)) for arm in "abab"]
    for reader in readers:
        reader.get(story.get_absolute_url())
    assert not Exposure.objects.exists()
    with django_assert_num_queries(4):  # savepoint, the experiments still there, insert, release
        assert flush_exposures() == 4
    assert Counter(Exposure.objects.values_list("arm", flat=True)) == {"a": 2, "b": 2}


def test_an_exposure_of_a_deleted_experiment_is_dropped_not_a_failed_commit(running):
    story = article("premium", "hapus")
    browser(key_in("a", running.pk)).get(story.get_absolute_url())
    Experiment.objects.filter(pk=running.pk).delete()  # from the shell: the admin cannot
    assert flush_exposures() == 1
    assert not Exposure.objects.exists()


# --- Signing in ---------------------------------------------------------------------------------


def sign_in(client, user):
    response = client.post("/akun/masuk/", {"username": user.username, "password": "newsroom-test"})
    assert response.status_code == 302
    return response


def test_a_reader_who_signs_in_keeps_their_arm(running):
    story, other = article("metered", "satu"), article("metered", "dua")
    key = key_in("b", running.pk)
    reader = browser(key)
    assert reason(reader.get(story.get_absolute_url())) == "meter_exhausted"
    user = UserFactory()
    sign_in(reader, user)
    # Arm A would grant a registered reader 10 reads; arm B grants none.
    page = reader.get(other.get_absolute_url())
    assert reason(page) == "meter_exhausted_registered"
    flush_exposures()
    exposure = Exposure.objects.get()
    assert (exposure.reader, exposure.arm, exposure.user_id) == (f"m:{key}", "b", user.pk)


def test_on_another_device_the_account_keeps_the_arm_it_met_first(running):
    story, other = article("metered", "alat"), article("metered", "lain")
    user = UserFactory()
    phone = browser(key_in("b", running.pk))
    sign_in(phone, user)
    assert reason(phone.get(story.get_absolute_url())) == "meter_exhausted_registered"
    flush_exposures()
    # A laptop whose own cookie falls in arm A: after sign-in, arm B.
    laptop = browser(key_in("a", running.pk))
    assert other.secret in laptop.get(other.get_absolute_url()).content.decode()
    sign_in(laptop, user)  # (the read of ``other`` joins the account: a re-read is free)
    for _ in range(2):  # the view, then the fast path
        page = laptop.get(story.get_absolute_url())
        assert reason(page) == "meter_exhausted_registered"
        assert story.secret not in page.content.decode()
    assert page["X-Page-Cache"] == "hit"
    assert Exposure.objects.filter(user=user).count() == 1


# --- Start, stop, promote ----------------------------------------------------------------------


def test_one_experiment_runs_at_a_time(running, versions):
    generous, strict = versions
    other = experiment_create(
        name="lain", arms=[ArmSpec("a", generous, 90), ArmSpec("b", strict, 10)], by=None
    )
    with translation.override("en"), pytest.raises(ValidationError, match="Another experiment"):
        experiment_start(other, by=None)
    assert Experiment.objects.get(pk=other.pk).status == ExperimentStatus.DRAFT
    assert not ExperimentLog.objects.filter(experiment=other, action="started").exists()


def test_promote_saves_the_arm_as_a_new_version_and_audits_it(running, versions):
    generous, strict = versions
    chief = UserFactory()
    before = RuleSet.objects.count()
    promoted = experiment_promote(running, arm="b", by=chief, why="lebih banyak pelanggan")
    assert RuleSet.objects.count() == before + 1
    assert promoted.copied_from == strict
    assert promoted.created_by == chief
    assert "lebih banyak pelanggan" in promoted.why
    assert current_rules().version == promoted.as_rules().version
    assert current_rules().anonymous_allowance == 0
    row = Experiment.objects.get(pk=running.pk)
    assert (row.status, row.winner, row.promoted_ruleset, row.stopped_by) == (
        "promoted",
        "b",
        promoted,
        chief,
    )
    log = ExperimentLog.objects.get(experiment=running, action="promoted")
    assert (log.by, log.arm, log.ruleset, log.why) == (
        chief,
        "b",
        promoted,
        "lebih banyak pelanggan",
    )
    # Nobody is in an arm any more.
    assert current_rules(rights=ReaderRights(meter_key=uuid.uuid4().hex)).arm == ""


def test_the_trail_says_who_did_what(running):
    staff = UserFactory()
    experiment_stop(running, by=staff, why="selesai")
    assert list(
        ExperimentLog.objects.filter(experiment=running).values_list("action", "by", "why")
    ) == [("created", None, ""), ("started", None, ""), ("stopped", staff.pk, "selesai")]
