"""Without Redis, funnel events wait in the process buffer: a process that goes
quiet still writes them (a timer), and a failed write is tried again."""

import threading

import pytest

from paywall import funnel


@pytest.fixture
def quiet_process(settings, monkeypatch):
    """No Redis; the buffer's timer after 50 ms (the next event would write it only
    after an hour); a sink that records what it gets."""
    settings.REDIS_URL = ""
    monkeypatch.setattr(funnel, "FLUSH_EVERY_SECONDS", 3600.0)
    monkeypatch.setattr(funnel, "FLUSH_TIMER_SECONDS", 0.05)
    written: list[str] = []
    arrived = threading.Event()
    failures = []

    def sink(items):
        if failures:
            failures.pop()
            raise ConnectionError("database down")
        written.extend(items)
        arrived.set()

    monkeypatch.setattr(funnel, "_sink", sink)
    yield written, arrived, failures
    funnel._buffer.take()


def test_a_lone_event_is_written_without_another_event_coming(quiet_process):
    written, arrived, _failures = quiet_process
    funnel.record(funnel.Event.SUBSCRIBE_CLICK, reader="m:quiet", article_id=7)
    assert funnel.pending_in_process() == 1  # not written on the request path
    # Nothing else is recorded: only the timer can write it.
    assert arrived.wait(timeout=10), "the buffered event was never written"
    assert [funnel.parse(item)["reader"] for item in written] == ["m:quiet"]
    assert funnel.pending_in_process() == 0


def test_events_the_sink_could_not_take_are_tried_again_by_the_timer(quiet_process):
    written, arrived, failures = quiet_process
    failures.append(1)  # the first write fails
    funnel.record(funnel.Event.SUBSCRIBE_CLICK, reader="m:a", article_id=7)
    funnel.record(funnel.Event.SUBSCRIBE_CLICK, reader="m:b", article_id=7)
    assert arrived.wait(timeout=10), "the events were never written"
    assert sorted(funnel.parse(item)["reader"] for item in written) == ["m:a", "m:b"]
    assert not failures  # it did fail once, then the timer tried again


def test_taking_the_buffer_stops_its_timer(quiet_process):
    funnel.record(funnel.Event.SUBSCRIBE_CLICK, reader="m:a", article_id=7)
    assert funnel._buffer.timer.armed
    funnel._buffer.take()
    assert not funnel._buffer.timer.armed
