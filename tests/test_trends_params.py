"""Detection parameters: bucket lengths and range checks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.trends import params


@pytest.mark.parametrize(
    ("text", "seconds"), [("1h", 3600), ("5min", 300), ("15m", 900), ("1d", 86400), ("30min", 1800)]
)
def test_parse_bucket(text, seconds):
    assert params.parse_bucket(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["2s", "2d", "soon", "0h"])
def test_parse_bucket_refuses(text):
    with pytest.raises(params.TrendError, match="bucket"):
        params.parse_bucket(text)


@pytest.mark.parametrize(("seconds", "label"), [(3600, "1h"), (900, "15min"), (86400, "1d"), (10800, "3h")])
def test_bucket_label(seconds, label):
    assert params.bucket_label(pd.Timedelta(seconds=seconds)) == label


@pytest.mark.parametrize(
    ("change", "match"),
    [({"fdr": 0.0}, "fdr"), ({"fdr": 1.5}, "fdr"), ({"min_rate": 0}, "min_rate"), ({"min_count": 0}, "min_count")],
)
def test_check_refuses_out_of_range(change, match):
    with pytest.raises(params.TrendError, match=match):
        params.DetectionParams(**change).check()


def test_defaults_are_recorded_as_json():
    recorded = json.loads(params.DetectionParams().as_json())
    assert recorded["bucket"] == "1h" and recorded["fdr"] == 0.01 and recorded["min_ratio"] == 3.0
