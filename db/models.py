"""SQLAlchemy models: the entities of DESIGN section 5.

History is append-only: runs, captures, extractions, findings and residents are only ever
inserted. Programs, pages and program indicators hold the *current* state and are updated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, Any: JSON}


TS = DateTime(timezone=True)


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # ACGME id or slug
    name: Mapped[str] = mapped_column(String(300))
    institution: Mapped[str | None] = mapped_column(String(300))
    specialty: Mapped[str | None] = mapped_column(String(120), index=True)
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(2), index=True)
    website: Mapped[str] = mapped_column(String(2000))
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    render_mode: Mapped[str] = mapped_column(String(16), default="auto")  # auto|static|browser
    # Interactions on rendered pages (crawler/interactions.py); None = the generic ones.
    browser_actions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)

    pages: Mapped[list[Page]] = relationship(back_populates="program")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual|schedule
    started_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|completed|failed
    program_ids: Mapped[list[str] | None] = mapped_column(JSON)  # None = all active programs
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("program_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))  # canonical URL
    page_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    # Adaptive refresh (crawler/refresh.py): how often this page is worth re-fetching.
    refresh_hours: Mapped[float | None] = mapped_column(Float)
    next_due_at: Mapped[datetime | None] = mapped_column(TS)
    last_changed_at: Mapped[datetime | None] = mapped_column(TS)
    # The run that stopped counting this page towards the program's values (crawler/
    # current_pages.py): gone (404/410) or no longer linked. None = the page counts.
    dropped_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    dropped_reason: Mapped[str | None] = mapped_column(String(16))  # gone | unlinked

    program: Mapped[Program] = relationship(back_populates="pages")


class Capture(Base):
    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    final_url: Mapped[str | None] = mapped_column(String(2000))  # after redirects
    http_status: Mapped[int | None] = mapped_column(Integer)  # None when no response at all
    content_type: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # blob key
    size: Mapped[int] = mapped_column(Integer, default=0)
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    unchanged: Mapped[bool] = mapped_column(Boolean, default=False)
    not_due: Mapped[bool] = mapped_column(  # not fetched this cycle: not due yet
        Boolean, default=False, server_default=false()
    )
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(500))  # failure reason; None = success
    depth: Mapped[int] = mapped_column(Integer, default=0)

    page: Mapped[Page] = relationship()


class Extraction(Base):
    """One run of the normalizers (at one version) over one capture."""

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("capture_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(200))  # combined extractor versions
    page_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    text_sha256: Mapped[str | None] = mapped_column(String(64))  # None when it failed
    # Canonical URLs the page links to: tells "no longer linked" from "not reached".
    links: Mapped[list[str] | None] = mapped_column(JSON)
    # Why this body could not be extracted or stored at this version; None = success. A failed
    # extraction is not retried until the version changes.
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extraction_id: Mapped[int] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[Any] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    strictness: Mapped[str | None] = mapped_column(String(16))  # hard|preferred
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. a stated deadline
    quote: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)  # offsets in the capture's extracted text
    end: Mapped[int] = mapped_column(Integer)
    locator: Mapped[str | None] = mapped_column(String(1000))  # CSS path
    extractor: Mapped[str] = mapped_column(String(64))  # name@version


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extraction_id: Mapped[int] = mapped_column(
        ForeignKey("extractions.id", ondelete="CASCADE"), index=True
    )
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    pgy: Mapped[str | None] = mapped_column(String(16))
    class_year: Mapped[int | None] = mapped_column(Integer)
    chief: Mapped[bool] = mapped_column(Boolean, default=False)
    school: Mapped[str | None] = mapped_column(String(500))  # as written
    school_id: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(100))
    school_type: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    quote: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class ProgramResident(Base):
    """A resident behind the program's current roster values (current state, like values)."""

    __tablename__ = "program_residents"
    __table_args__ = (UniqueConstraint("program_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name_key: Mapped[str] = mapped_column(String(300))  # casefolded name: who is who
    # The roster line this resident was read from: the evidence (capture, quote, offsets).
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    # name, pgy, class_year, chief, school, school_type, country (merged over roster pages)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)

    resident: Mapped[Resident | None] = relationship()


class ProgramIndicator(Base):
    """The current value of one indicator for one program."""

    __tablename__ = "program_indicators"
    __table_args__ = (UniqueConstraint("program_id", "indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[Any] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    # auto|confirmed|corrected|rejected|conflicting|stale_review
    status: Mapped[str] = mapped_column(String(16), default="auto")
    source_finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("findings.id", ondelete="SET NULL")
    )
    conflicting_values: Mapped[list[Any] | None] = mapped_column(JSON)
    # Fingerprint of the evidence behind the value (crawler/resolve_stage.py): frozen while a
    # reviewer's decision holds, so a change of evidence brings the value back for review.
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(TS, default=utcnow, onupdate=utcnow)

    source_finding: Mapped[Finding | None] = relationship()


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(120))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # confirm|reject|correct
    corrected_value: Mapped[Any | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class ChangeEvent(Base):
    """A change of a served value (or of a resident on the roster); its id is the feed cursor."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64))  # or roster.resident: one resident
    old_value: Mapped[Any | None] = mapped_column(JSON)
    new_value: Mapped[Any | None] = mapped_column(JSON)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    # crawl (a cycle) | review (a reviewer's decision) | normalize (re-extraction)
    cause: Mapped[str] = mapped_column(String(16), default="crawl", server_default="crawl")
    # The capture the change was read from (the roster page for a resident), when there is one.
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class Lease(Base):
    """Who may run cycles now: one row per lease name, kept alive by heartbeats."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:uuid of the holder
    acquired_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class User(Base):
    """A reviewer account (created with `imgcrawl users add`)."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(300))  # scrypt, see web/auth.py
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
