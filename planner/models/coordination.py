"""Stored coordination detection: runs, the clusters of accounts they found, members and the edges between them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow


class CoordinationRun(Base):
    """One run of a co-action detector over the monitored posts, with its parameters and headline counts."""

    __tablename__ = "coordination_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # co-post | co-similar | co-link | co-hashtag | co-repost
    window_s: Mapped[float]
    min_weight: Mapped[int]
    similarity: Mapped[float | None]
    since: Mapped[datetime | None]
    until: Mapped[datetime | None]
    posts_considered: Mapped[int] = mapped_column(default=0)
    edge_count: Mapped[int] = mapped_column(default=0)
    account_count: Mapped[int] = mapped_column(default=0)
    cluster_count: Mapped[int] = mapped_column(default=0)
    summary: Mapped[str] = mapped_column(Text, default="")


class CoordinationCluster(Base):
    """A connected component of accounts linked by co-action edges at or above the run's minimum weight."""

    __tablename__ = "coordination_clusters"
    __table_args__ = (Index("ix_coordination_clusters_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("coordination_runs.id", ondelete="CASCADE"))
    rank: Mapped[int]  # 1 = the cluster with the most coordinated posts
    accounts: Mapped[int]
    posts: Mapped[int]  # posts by members that had a co-acting partner in the same cluster
    shared_objects: Mapped[int]  # distinct texts, links, hashtags or reposted posts behind those co-actions
    communities: Mapped[int]  # Leiden communities inside the cluster (modularity)
    total_weight: Mapped[int]
    median_delay_s: Mapped[float | None]
    first_at: Mapped[datetime | None]
    last_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")


class CoordinationMember(Base):
    """An account in a cluster (pseudonymised ids stay pseudonymised: only the stored author id is kept)."""

    __tablename__ = "coordination_members"
    __table_args__ = (
        Index("ix_coordination_members_cluster", "cluster_id"),
        Index("ix_coordination_members_account", "run_id", "platform", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("coordination_runs.id", ondelete="CASCADE"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("coordination_clusters.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str] = mapped_column(String(128))
    author_handle: Mapped[str] = mapped_column(String(128), default="")
    community: Mapped[int] = mapped_column(default=0)
    posts: Mapped[int] = mapped_column(default=0)  # coordinated posts of this account
    strength: Mapped[int] = mapped_column(default=0)  # sum of the weights of its edges, both directions


class CoordinationEdge(Base):
    """A directed co-action edge: `weight` posts of the source had a matching post by the target in the window.

    The run and members it names are written with it, in one transaction, and runs are never deleted: the columns
    carry no foreign keys, whose checks took PostgreSQL most of the time of a dense run (migration 0015).
    """

    __tablename__ = "coordination_edges"
    __table_args__ = (Index("ix_coordination_edges_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]  # coordination_runs.id
    source_id: Mapped[int]  # coordination_members.id
    target_id: Mapped[int]  # coordination_members.id
    weight: Mapped[int]
