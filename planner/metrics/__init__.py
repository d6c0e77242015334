"""Reach metrics of published posts: snapshots, platform export import, matching, KPIs, A/B tests."""
