from datetime import timedelta

import pytest

from crawler.lease import LeaseHeld, acquire, current_holder, heartbeat, held, release
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
    with held(db, heartbeat_every=60) as holder:
        with pytest.raises(LeaseHeld, match=f"another cycle is running \\(held by {holder}"):
            with held(db):
                pass
    with held(db, heartbeat_every=60):
        pass
