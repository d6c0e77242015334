"""Run the PyPI package burst_detection 0.1.3 on batches read as JSON from stdin (runs inside the peer venv only)."""

import json
import sys
import time

import numpy as np
import pandas as pd
from burst_detection import burst_detection, fit, tau


def package_cost(q: list[int], r: pd.Series, d: pd.Series, p: dict, gamma: float) -> float:
    """Return the package's own total cost of a state sequence, starting from the base state."""
    n = len(q)
    prev = 0
    cost = 0.0
    for t, state in enumerate(q):
        cost += tau(prev, state, gamma, n) + fit(d[t], r[t], p[state])
        prev = state
    return float(cost)


def run_batch(batch: dict) -> dict:
    """Return the package's states, costs (or error) per key of one batch and the time of its burst_detection calls."""
    d = pd.Series(batch["d"], dtype="int64")
    n, s, gamma = len(d), batch["s"], batch["gamma"]
    rows = [pd.Series(r, dtype="int64") for r in batch["r"]]
    results, elapsed = [], 0.0
    for r in rows:
        start = time.perf_counter()
        try:
            q, _, _, p = burst_detection(r, d, n, s, gamma, 1)
        except Exception as exc:  # the package fails on exact ties and 0*log(0); record what it said
            elapsed += time.perf_counter() - start
            results.append({"error": f"{type(exc).__name__}: {exc}"})
            continue
        elapsed += time.perf_counter() - start
        states = np.asarray(q, dtype=float).ravel()
        if np.isnan(states).any():
            results.append({"error": "package left states undefined (NaN)"})
            continue
        states = states.astype(int).tolist()
        results.append({"states": states, "cost": package_cost(states, r, d, p, gamma)})
    return {"keys": results, "seconds": elapsed}


def main() -> None:
    """Read {"batches": [{"r", "d", "s", "gamma"}]} from stdin, write {"batches": [...]} to stdout."""
    payload = json.load(sys.stdin)
    with np.errstate(all="ignore"):
        out = [run_batch(b) for b in payload["batches"]]
    json.dump({"batches": out}, sys.stdout)


if __name__ == "__main__":
    main()
