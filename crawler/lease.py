"""A lease row in the database so that only one cycle runs at a time, across processes and hosts.

The holder refreshes `heartbeat_at` while it works; a lease whose heartbeat is older than
`stale_after` belongs to a dead process and may be taken over. Both steps are single conditional
statements, so two processes racing for the lease cannot both win.

A holder that learns it lost the lease (a heartbeat finds another holder), or that cannot
heartbeat for half of `stale_after` (the database is unreachable: others may soon take the lease
over), declares the lease lost: `on_lost` is called (the cycle stops its crawl) and
`HeldLease.check()` raises LeaseLost, so the cycle stops before writing anything else.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from db.models import Lease, utcnow
from db.session import Database

logger = logging.getLogger(__name__)

CYCLE_LEASE = "cycle"
RETRY_SECONDS = 5.0  # after a failed heartbeat, try again sooner than the usual interval


class LeaseHeld(RuntimeError):
    """Another live process holds the lease."""


class LeaseLost(RuntimeError):
    """We held the lease and no longer do, or can no longer prove we do."""


@dataclass
class HeldLease:
    """The lease as its holder sees it while the with-block runs."""

    name: str
    holder: str
    _lost: threading.Event = field(default_factory=threading.Event)
    reason: str | None = None

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise LeaseLost if the lease was lost: nothing more may be written for the cycle."""
        if self.lost:
            raise LeaseLost(f"lost the {self.name} lease: {self.reason}")

    def _lose(self, reason: str) -> None:
        self.reason = reason
        self._lost.set()


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(
    db: Database, name: str, holder: str, stale_after: timedelta, now: datetime | None = None
) -> bool:
    """Take the lease if it is free, ours, or stale. True when we hold it afterwards."""
    now = now or utcnow()
    with db.session() as session:
        taken = session.execute(
            update(Lease)
            .where(
                Lease.name == name,
                or_(Lease.holder == holder, Lease.heartbeat_at < now - stale_after),
            )
            .values(holder=holder, acquired_at=now, heartbeat_at=now)
        )
        if taken.rowcount == 1:
            return True
    try:
        with db.session() as session:
            session.add(Lease(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
        return True
    except IntegrityError:
        return False  # someone else holds it and is alive


def heartbeat(db: Database, name: str, holder: str, now: datetime | None = None) -> bool:
    """Refresh our lease; False if it was taken from us."""
    with db.session() as session:
        result = session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(heartbeat_at=now or utcnow())
        )
        return result.rowcount == 1


def release(db: Database, name: str, holder: str) -> None:
    with db.session() as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def current_holder(db: Database, name: str) -> Lease | None:
    with db.session() as session:
        return session.get(Lease, name)


@contextmanager
def held(
    db: Database,
    name: str = CYCLE_LEASE,
    stale_after: timedelta = timedelta(minutes=10),
    heartbeat_every: float = 30.0,
    on_lost: Callable[[str], None] | None = None,
) -> Iterator[HeldLease]:
    """Hold the lease for a with-block (heartbeating in the background) or raise LeaseHeld.

    If the lease is lost meanwhile, ON_LOST(reason) is called from the heartbeat thread, and
    LeaseLost is raised when the block ends (unless it raised something else already).
    """
    holder = new_holder_id()
    if not acquire(db, name, holder, stale_after):
        lease = current_holder(db, name)
        since = lease.heartbeat_at.isoformat(timespec="seconds") if lease else "?"
        raise LeaseHeld(
            f"another cycle is running (held by {lease.holder if lease else '?'}, alive at {since})"
        )
    state = HeldLease(name, holder)
    stop = threading.Event()
    # Others may take the lease over once our heartbeat is stale_after old; give up well before.
    give_up_after = stale_after.total_seconds() / 2
    # A heartbeat rarer than the stale time would make a live holder look dead.
    heartbeat_every = min(heartbeat_every, stale_after.total_seconds() / 3)

    def lose(reason: str) -> None:
        logger.error("lease %s lost by %s: %s", name, holder, reason)
        state._lose(reason)
        if on_lost is not None:
            try:
                on_lost(reason)
            except Exception:
                logger.exception("lease %s: on_lost callback failed", name)

    def beat() -> None:
        last_ok = time.monotonic()
        wait = heartbeat_every
        while not stop.wait(wait):
            try:
                alive = heartbeat(db, name, holder)
            except Exception as error:  # the database may be away for a moment: retry
                silent = time.monotonic() - last_ok
                logger.warning("lease %s: heartbeat failed: %s (%.0f s)", name, error, silent)
                if silent >= give_up_after:
                    lose(f"no heartbeat for {silent:.0f} s ({type(error).__name__})")
                    return
                wait = min(heartbeat_every, RETRY_SECONDS)
                continue
            if not alive:
                lose("another process took it over")
                return
            last_ok, wait = time.monotonic(), heartbeat_every

    thread = threading.Thread(target=beat, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            release(db, name, holder)  # only deletes the row if it is still ours
        except Exception as error:
            logger.warning("lease %s: release failed (%s); it will go stale", name, error)
    state.check()
