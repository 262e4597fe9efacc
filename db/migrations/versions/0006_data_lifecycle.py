"""data lifecycle: pages that count, failed extractions, links, current residents, feed cause

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00.000000
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GONE_STATUSES = (404, 410)


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dropped_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dropped_reason", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pages_dropped_run_id_crawl_runs"),
            "crawl_runs",
            ["dropped_run_id"],
            ["id"],
        )

    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("links", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=500), nullable=True))
        batch_op.alter_column("text_sha256", existing_type=sa.String(length=64), nullable=True)

    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cause", sa.String(length=16), server_default="crawl", nullable=False)
        )
        batch_op.add_column(sa.Column("capture_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_change_events_capture_id_captures"),
            "captures",
            ["capture_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # Changes written by reviewers before the cause was recorded had no run.
    op.execute("UPDATE change_events SET cause = 'review' WHERE run_id IS NULL")

    with op.batch_alter_table("program_indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
    _fingerprint_evidence()

    op.create_table(
        "program_residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_residents_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_program_residents_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_residents")),
        sa.UniqueConstraint("program_id", "name_key", name=op.f("uq_program_residents_program_id")),
    )
    _drop_pages_the_old_rule_left_out()


def _fingerprint_evidence() -> None:
    """What reviewers saw so far: the source quote, or for roster figures the figure itself
    (the same rule as crawler/resolve_stage.py at this revision)."""
    bind = op.get_bind()
    values = sa.table(
        "program_indicators",
        sa.column("id"),
        sa.column("indicator"),
        sa.column("value", sa.JSON()),
        sa.column("source_finding_id"),
    )
    findings = sa.table("findings", sa.column("id"), sa.column("quote"))
    rows = bind.execute(
        sa.select(values.c.id, values.c.indicator, values.c.value, findings.c.quote).select_from(
            values.outerjoin(findings, findings.c.id == values.c.source_finding_id)
        )
    ).all()
    for row_id, indicator, value, quote in rows:
        if quote is not None:
            key = quote
        elif indicator.startswith("roster."):
            key = json.dumps(value, sort_keys=True)
        else:
            continue
        bind.execute(
            sa.text("UPDATE program_indicators SET evidence_sha256 = :sha WHERE id = :id"),
            {"sha": hashlib.sha256(key.encode("utf-8")).hexdigest(), "id": row_id},
        )


def _drop_pages_the_old_rule_left_out() -> None:
    """Keep today's values: until now only pages captured in a program's latest run counted,
    and a gone one did not (the next cycle refines this with links)."""
    bind = op.get_bind()
    pages = sa.table("pages", sa.column("id"), sa.column("program_id"))
    captures = sa.table(
        "captures",
        sa.column("id"),
        sa.column("page_id"),
        sa.column("run_id"),
        sa.column("http_status"),
    )
    latest = dict(
        bind.execute(
            sa.select(pages.c.program_id, sa.func.max(captures.c.run_id))
            .select_from(captures.join(pages, pages.c.id == captures.c.page_id))
            .group_by(pages.c.program_id)
        ).all()
    )
    last_in_run: dict[int, tuple[str, int | None]] = {}
    for page_id, program_id, run_id, status in bind.execute(
        sa.select(pages.c.id, pages.c.program_id, captures.c.run_id, captures.c.http_status)
        .select_from(captures.join(pages, pages.c.id == captures.c.page_id))
        .order_by(captures.c.id)
    ):
        if run_id == latest[program_id]:
            last_in_run[page_id] = (program_id, status)
    for page_id, program_id in bind.execute(sa.select(pages.c.id, pages.c.program_id)).all():
        if program_id not in latest:
            continue
        if page_id not in last_in_run:
            reason = "unlinked"
        elif last_in_run[page_id][1] in GONE_STATUSES:
            reason = "gone"
        else:
            continue
        bind.execute(
            sa.text(
                "UPDATE pages SET dropped_run_id = :run, dropped_reason = :reason WHERE id = :id"
            ),
            {"run": latest[program_id], "reason": reason, "id": page_id},
        )


def downgrade() -> None:
    op.drop_table("program_residents")

    with op.batch_alter_table("program_indicators", schema=None) as batch_op:
        batch_op.drop_column("evidence_sha256")

    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_change_events_capture_id_captures"), type_="foreignkey"
        )
        batch_op.drop_column("capture_id")
        batch_op.drop_column("cause")

    with op.batch_alter_table("extractions", schema=None) as batch_op:
        batch_op.alter_column("text_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("error")
        batch_op.drop_column("links")

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_pages_dropped_run_id_crawl_runs"), type_="foreignkey"
        )
        batch_op.drop_column("dropped_reason")
        batch_op.drop_column("dropped_run_id")
