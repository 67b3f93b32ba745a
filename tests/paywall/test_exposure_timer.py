"""A process that goes quiet still writes the exposures it buffered: a timer,
not only the next exposure, hands them to the database (the experiment's
results count every reader who met it)."""

import time
import uuid

import pytest

from paywall import experiments
from paywall.experiments import ArmSpec, experiment_create, experiment_start
from paywall.models import Exposure
from paywall.policy import AccessDecision, Reason
from paywall.rights import ReaderRights
from paywall.rules import PaywallRules
from paywall.rulesets import ruleset_create

# The timer writes from its own thread and database connection: the experiment
# must be committed for it to see it.
pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_lone_exposure_is_written_without_another_coming(monkeypatch):
    monkeypatch.setattr(experiments, "FLUSH_SECONDS", 3600.0)  # the next one would wait an hour
    monkeypatch.setattr(experiments, "TIMER_SECONDS", 0.05)
    generous = ruleset_create(
        rules=PaywallRules(anonymous_allowance=5, registered_allowance=10, teaser_blocks=2),
        why="a",
        by=None,
    )
    strict = ruleset_create(
        rules=PaywallRules(anonymous_allowance=0, registered_allowance=10, teaser_blocks=2),
        why="b",
        by=None,
    )
    experiment = experiment_start(
        experiment_create(
            name="Timer", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=None
        ),
        by=None,
    )
    meter_id = uuid.uuid4().hex
    decision = AccessDecision(
        granted=False, reason=Reason.METER_EXHAUSTED, experiment_id=experiment.pk, arm="b"
    )
    experiments.note_exposure(ReaderRights(meter_key=meter_id), decision)
    assert not Exposure.objects.exists()  # not on the request path
    assert _wait_for(Exposure.objects.exists), "the buffered exposure was never written"
    exposure = Exposure.objects.get()
    assert (exposure.reader, exposure.arm) == (f"m:{meter_id}", "b")
    assert not experiments._buffer.timer.armed  # nothing left to write
