"""A lease row in the database so that only one cycle runs at a time, across processes and hosts.

The holder refreshes `heartbeat_at` while it works; a lease whose heartbeat is older than
`stale_after` belongs to a dead process and may be taken over. Both steps are single conditional
statements, so two processes racing for the lease cannot both win.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from db.models import Lease, utcnow
from db.session import Database

CYCLE_LEASE = "cycle"


class LeaseHeld(RuntimeError):
    """Another live process holds the lease."""


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
) -> Iterator[str]:
    """Hold the lease for a with-block (heartbeating in the background) or raise LeaseHeld."""
    holder = new_holder_id()
    if not acquire(db, name, holder, stale_after):
        lease = current_holder(db, name)
        since = lease.heartbeat_at.isoformat(timespec="seconds") if lease else "?"
        raise LeaseHeld(
            f"another cycle is running (held by {lease.holder if lease else '?'}, alive at {since})"
        )
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat_every):
            heartbeat(db, name, holder)

    thread = threading.Thread(target=beat, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        stop.set()
        thread.join(timeout=5)
        release(db, name, holder)
