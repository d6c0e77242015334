"""Detect trends in monitored posts: keys, counts per bucket, calibrated scores, folding, lifecycle, stored triage.

The modules, by concept: params (defaults, errors), reading (posts as columns), keys, counting, scoring, folding,
lifecycle, detection (the pass that ties them together) and storage (the workspace: runs, stored trends, triage).
The names other modules use are re-exported here.
"""

from planner.trends.counting import Grid, count_keys, make_grid
from planner.trends.detection import SERIES_MAX, TREND_COLUMNS, Detection, detect, explanation
from planner.trends.keys import KIND_RANK, Occurrences, extract_keys, stop_words
from planner.trends.lifecycle import CLOCKS, Clock, classify_lifecycle, resolve_clock
from planner.trends.params import (
    KEY_KINDS,
    KINDS,
    LIFECYCLES,
    STATUSES,
    DetectionParams,
    Progress,
    TrendError,
    bucket_label,
    parse_bucket,
)
from planner.trends.reading import POST_COLUMNS
from planner.trends.scoring import benjamini_hochberg, expected_counts, rank_score
from planner.trends.storage import (
    RECORD_COLUMNS,
    TrendFilter,
    TrendSeries,
    change_status,
    detect_trends,
    explanation_for,
    get_trend,
    latest_run,
    load_posts,
    new_since,
    query_trends,
    run_clock,
    run_detection,
    set_status,
    top_accounts,
    trend_choices,
    trend_posts,
    trend_record,
    trend_series,
    trends_frame,
)

__all__ = [
    "CLOCKS",
    "KEY_KINDS",
    "KINDS",
    "KIND_RANK",
    "LIFECYCLES",
    "POST_COLUMNS",
    "RECORD_COLUMNS",
    "SERIES_MAX",
    "STATUSES",
    "TREND_COLUMNS",
    "Clock",
    "Detection",
    "DetectionParams",
    "Grid",
    "Occurrences",
    "Progress",
    "TrendError",
    "TrendFilter",
    "TrendSeries",
    "benjamini_hochberg",
    "bucket_label",
    "change_status",
    "classify_lifecycle",
    "count_keys",
    "detect",
    "detect_trends",
    "expected_counts",
    "explanation",
    "explanation_for",
    "extract_keys",
    "get_trend",
    "latest_run",
    "load_posts",
    "make_grid",
    "new_since",
    "parse_bucket",
    "query_trends",
    "rank_score",
    "resolve_clock",
    "run_clock",
    "run_detection",
    "set_status",
    "stop_words",
    "top_accounts",
    "trend_choices",
    "trend_posts",
    "trend_record",
    "trend_series",
    "trends_frame",
]
