"""Anti-flood buckets, in memory and in Redis (when QUARTIER_TEST_REDIS_URL is set)."""

import itertools

import pytest

from bot.middlewares.throttling import MemoryBuckets, RedisBuckets
from tests.conftest import REDIS_URL

_keys = itertools.count(4_200_000)


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory"] + (["redis"] if REDIS_URL else []))
async def make_buckets(request):
    clients = []

    def make(rate: float, burst: int, clock: Clock):
        if request.param == "memory":
            return MemoryBuckets(rate, burst, clock=clock)
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL)
        clients.append(client)
        return RedisBuckets(client, rate, burst, clock=clock)

    yield make
    for client in clients:
        await client.aclose()


async def test_burst_then_one_note_then_silence_then_allowed_again(make_buckets):
    clock = Clock()
    buckets = make_buckets(3, 3, clock)
    key = next(_keys)
    results = [await buckets.take(key) for _ in range(6)]
    assert results[:3] == [(True, False)] * 3
    assert results[3] == (False, True)  # the first excess message gets the polite note
    assert results[4:] == [(False, False)] * 2  # later ones are dropped silently
    clock.t += 1.5
    assert (await buckets.take(key))[0] is True


async def test_people_have_their_own_buckets(make_buckets):
    clock = Clock()
    buckets = make_buckets(1, 1, clock)
    a, b = next(_keys), next(_keys)
    assert (await buckets.take(a))[0] and not (await buckets.take(a))[0]
    assert (await buckets.take(b))[0]


@pytest.mark.skipif(not REDIS_URL, reason="needs QUARTIER_TEST_REDIS_URL (set by .ci/run)")
async def test_redis_keys_expire():
    from redis.asyncio import Redis

    clock = Clock()
    client = Redis.from_url(REDIS_URL)
    try:
        buckets = RedisBuckets(client, 2, 2, clock=clock)
        key = next(_keys)
        await buckets.take(key)
        ttl = await client.ttl(f"quartier:flood:{key}:{int(clock.t)}")
        assert 0 < ttl <= 2
    finally:
        await client.aclose()


async def test_memory_buckets_forget_full_buckets():
    clock = Clock()
    buckets = MemoryBuckets(1, 2, clock=clock)
    buckets.PRUNE_EVERY = 3
    await buckets.take(1)
    await buckets.take(2)
    clock.t += 10
    await buckets.take(3)  # the third take sweeps: 1 and 2 refilled long ago
    assert set(buckets.state) == {3}
