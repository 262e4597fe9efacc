import time
from datetime import timedelta

import pytest

from crawler.lease import LeaseHeld, LeaseLost, acquire, current_holder, heartbeat, held, release
from db.models import utcnow

STALE = timedelta(minutes=10)


def test_one_holder_at_a_time_and_stale_leases_are_taken_over(db):
    t0 = utcnow()
    assert acquire(db, "cycle", "a", STALE, now=t0)
    assert not acquire(db, "cycle", "b", STALE, now=t0 + timedelta(minutes=5))
    assert heartbeat(db, "cycle", "a", now=t0 + timedelta(minutes=9))
    assert not acquire(db, "cycle", "b", STALE, now=t0 + timedelta(minutes=18))  # a is alive
    assert acquire(db, "cycle", "b", STALE, now=t0 + timedelta(minutes=20))  # a went silent
    assert not heartbeat(db, "cycle", "a")  # a learns it lost the lease
    assert current_holder(db, "cycle").holder == "b"
    release(db, "cycle", "a")  # releasing someone else's lease does nothing
    assert current_holder(db, "cycle").holder == "b"
    release(db, "cycle", "b")
    assert current_holder(db, "cycle") is None


def test_held_raises_with_the_holder_and_releases_on_exit(db):
    with held(db, heartbeat_every=60) as lease:
        with pytest.raises(LeaseHeld, match=f"another cycle is running \\(held by {lease.holder}"):
            with held(db):
                pass
    with held(db, heartbeat_every=60):
        pass


def test_failing_heartbeats_lose_the_lease_before_anyone_could_take_it_over(db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import crawler.lease as lease_module

    def database_away(*_args, **_kwargs):
        raise OperationalError("UPDATE leases", {}, Exception("server closed the connection"))

    monkeypatch.setattr(lease_module, "heartbeat", database_away)
    told = []
    stale_after = timedelta(seconds=0.6)
    with pytest.raises(LeaseLost, match="no heartbeat"):
        with held(db, stale_after=stale_after, heartbeat_every=0.05, on_lost=told.append) as lease:
            started = time.monotonic()
            while not lease.lost and time.monotonic() - started < 5:
                time.sleep(0.01)
            # lost at half the stale window: before another process may take the lease over
            assert lease.lost and time.monotonic() - started < stale_after.total_seconds()
            with pytest.raises(LeaseLost):
                lease.check()
    assert len(told) == 1 and "no heartbeat" in told[0]


def test_a_lease_taken_over_is_noticed_at_the_next_heartbeat(db):
    told = []
    with pytest.raises(LeaseLost, match="another process took it over"):
        with held(db, heartbeat_every=0.05, on_lost=told.append) as lease:
            assert acquire(db, "cycle", "thief", STALE, now=utcnow() + timedelta(hours=1))
            started = time.monotonic()
            while not lease.lost and time.monotonic() - started < 5:
                time.sleep(0.01)
    assert told == ["another process took it over"]
    assert current_holder(db, "cycle").holder == "thief"  # the loser released nothing
