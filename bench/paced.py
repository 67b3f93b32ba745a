"""Latency at an offered rate: requests sent when they are due, not when the one before is answered.

wrk keeps a fixed number of connections busy (a closed loop). Past the
server's capacity every connection waits for the one before it, so wrk's
median is about its connections ÷ the rate, whatever a request costs: at 8
connections, 200 req/s reads as a p50 near 40 ms. Readers do not wait for each
other; they arrive. ``paced_load`` sends ``rate`` requests a second with
random (exponential) gaps, as independent readers arrive, each on a
connection of its own opened when it is due, and times each from the moment
it was due, so a request that waited for a free worker (or for this client)
counts the wait: no coordinated omission. ``lag`` says how late this client
itself was in sending; a p99 lag of more than a millisecond or two means the
machine could not keep up with the schedule and the latencies are too high,
never too low.

The schedule is ``rate`` x ``seconds`` requests (or as many as there are
paths), each due at a random moment of the window: a Poisson process of that
rate, given how many arrive. Drawing the gaps one by one instead let the
load fall short of its rate by the luck of the draw: the seed the bench used
offered 7% less than the rate it printed, at every rate. The same seed gives
the same schedule, so two runs offer the same load.
"""

import asyncio
import random

TIMEOUT = 10.0  # seconds, as wrk's --timeout


async def _one(port: int, path: str, due: float, loop) -> tuple[str, float, float]:
    """(outcome, latency from ``due``, lag of the send) for one request."""
    lag = loop.time() - due
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    except (OSError, TimeoutError):
        return "connect", loop.time() - due, lag
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        status_line = await asyncio.wait_for(reader.readline(), TIMEOUT)
        await asyncio.wait_for(reader.read(), TIMEOUT)  # the rest, until the server closes
    except TimeoutError:
        return "timeout", loop.time() - due, lag
    except OSError:
        return "read", loop.time() - due, lag
    finally:
        writer.close()
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return ("ok" if 0 < status < 400 else "status"), loop.time() - due, lag


def schedule(rate: float, seconds: float, *, limit: int, seed: int) -> list[float]:
    """When each request is due, in seconds from the start, ascending:
    ``rate`` x ``seconds`` of them (at most ``limit``), each at a uniformly
    random moment of the window (the arrivals of a Poisson process of that
    rate, given their number)."""
    rng = random.Random(seed)
    count = min(limit, round(rate * seconds))
    return sorted(rng.uniform(0.0, seconds) for _ in range(count))


async def _run(port: int, paths: list[str], rate: float, seconds: float, seed: int) -> dict:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    pending = []
    for offset in schedule(rate, seconds, limit=len(paths), seed=seed):
        due = start + offset
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        pending.append(asyncio.create_task(_one(port, paths[len(pending)], due, loop)))
    done = await asyncio.gather(*pending)
    return summary(done, loop.time() - start)


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(done: list[tuple[str, float, float]], elapsed: float) -> dict:
    """wrk's figures (``bench/wrk.lua``'s JSON) from the requests' outcomes, plus
    the offered schedule's lag. Latency percentiles are over every request, a
    failed one included (at the time it failed)."""
    latencies = sorted(latency for _, latency, _ in done)
    lags = sorted(lag for _, _, lag in done)
    errors = {kind: 0 for kind in ("connect", "read", "write", "status", "timeout")}
    for outcome, _, _ in done:
        if outcome != "ok":
            errors[outcome] += 1
    micros = lambda seconds: round(seconds * 1e6)  # noqa: E731
    return {
        "requests": len(done),
        "duration_us": micros(elapsed),
        "p50_us": micros(_percentile(latencies, 0.50)),
        "p90_us": micros(_percentile(latencies, 0.90)),
        "p99_us": micros(_percentile(latencies, 0.99)),
        "max_us": micros(latencies[-1] if latencies else 0.0),
        "lag_p99_us": micros(_percentile(lags, 0.99)),
        "errors": errors,
        "rps": len(done) / elapsed if elapsed > 0 else 0.0,
    }


async def _closed(port: int, paths: list[str], connections: int, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    start = loop.time()
    remaining = iter(paths)  # shared: each path goes to one client, once
    done = []

    async def client() -> None:
        for path in remaining:
            if loop.time() - start >= seconds:
                return
            done.append(await _one(port, path, loop.time(), loop))

    await asyncio.gather(*(client() for _ in range(connections)))
    return summary(done, loop.time() - start)


def closed_loop(port: int, paths: list[str], connections: int, seconds: float) -> dict:
    """wrk's closed loop over a list walked once: ``connections`` clients, each
    asking for the next of ``paths`` as soon as its last request is answered,
    until the list is used up or ``seconds`` have passed; summarised as wrk
    does (req/s over the time until the last answer). For a list shorter than
    wrk's shortest run (one second), which wrk would go round again. Each
    request opens a connection of its own, as a client of gunicorn's sync
    workers does: one that sends nothing never holds a worker."""
    return asyncio.run(_closed(port, paths, connections, seconds))


def paced_load(port: int, paths: list[str], rate: float, seconds: float, seed: int = 15) -> dict:
    """Offer ``rate`` requests a second for ``seconds`` (at most one per path,
    in order: a rotation's paths stay distinct) and summarise them as wrk does."""
    return asyncio.run(_run(port, paths, rate, seconds, seed))
