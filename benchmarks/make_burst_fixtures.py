"""Write tests/fixtures/burst_package_cases.json: burst_detection 0.1.3's own states and costs on seeded series."""

from __future__ import annotations

import json

import numpy as np
from bursts import ROOT, run_package

OUT = ROOT / "tests" / "fixtures" / "burst_package_cases.json"
KEYS_PER_BATCH = 6


def make_batch(rng: np.random.Generator, buckets: int, s: float, gamma: float, gaps: bool) -> dict:
    """Return one batch: totals d and KEYS_PER_BATCH keys from rare to dominant, most with a raised window."""
    d = rng.poisson(rng.uniform(50, 400), buckets)
    if gaps:
        d[rng.random(buckets) < 0.15] = 0
    shares = np.array([0.01, 0.03, 0.08, 0.2, 0.45, 0.7])[:KEYS_PER_BATCH]
    rows = []
    for share in shares:
        p = np.full(buckets, share * rng.uniform(0.7, 1.3))
        if rng.random() < 0.8:  # a raised window, often too mild for a greedy step to enter it
            start = rng.integers(0, buckets)
            p[start : start + rng.integers(1, max(2, buckets // 3))] *= rng.uniform(1.2, 3.5)
        rows.append(rng.binomial(d, np.clip(p, 0, 1)))
    return {"r": np.array(rows), "d": d, "s": s, "gamma": gamma}


def main() -> None:
    """Run the real package in the peer venv on seeded batches and write what it returned."""
    rng = np.random.default_rng(20020701)
    batches = []
    for buckets in (1, 2, 3, 5, 8, 12, 24, 48):
        for s, gamma in ((2.0, 1.0), (1.5, 0.5), (3.0, 2.0), (2.0, 0.3)):
            batches.append(make_batch(rng, buckets, s, gamma, gaps=False))
        batches.append(make_batch(rng, buckets, 2.0, 1.0, gaps=True))
    results = run_package(batches)
    cases = [
        {
            "d": b["d"].tolist(),
            "s": b["s"],
            "gamma": b["gamma"],
            "r": b["r"].tolist(),
            "package": res["keys"],
        }
        for b, res in zip(batches, results, strict=True)
    ]
    doc = {
        "about": "burst_detection 0.1.3 run by benchmarks/make_burst_fixtures.py; per key its states and own cost "
        "(fit + tau summed from the base state), or the error it raised",
        "batches": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    keys = [k for c in cases for k in c["package"]]
    print(f"wrote {OUT}: {len(cases)} batches, {len(keys)} keys, package errors on {sum('error' in k for k in keys)}")


if __name__ == "__main__":
    main()
