"""Benchmark planner.bursts against the PyPI package burst_detection 0.1.3 (run in its own peer venv)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.bursts import kleinberg_states, total_cost  # noqa: E402

PEER_SCRIPT = Path(__file__).resolve().parent / "burst_peer.py"
# burst_detection uses np.float (removed in numpy 1.24), so it needs an environment of its own.
PEER_PACKAGES = ["numpy==1.23.5", "pandas==1.5.3", "mpmath>=1.3,<2", "burst_detection==0.1.3"]
# Relative tolerance when comparing our cost with the package's (both are float sums of the same terms).
COST_RTOL = 1e-9


def peer_venv() -> Path:
    """Return the peer venv folder: $BURST_PEER_VENV, else peer-venv beside the repository."""
    return Path(os.environ.get("BURST_PEER_VENV", ROOT.parent / "peer-venv"))


def peer_python(create: bool = True) -> Path | None:
    """Return the peer venv's python, creating the venv from PyPI when it or the package is missing and `create`."""
    python = peer_venv() / "bin" / "python"
    if python.exists() and any(peer_venv().glob("lib/python*/site-packages/burst_detection/__init__.py")):
        return python
    if not create:
        return None
    print(f"creating peer venv {peer_venv()} ({', '.join(PEER_PACKAGES)})", file=sys.stderr)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(peer_venv())], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return python


def run_package(batches: list[dict], create: bool = True) -> list[dict]:
    """Run burst_detection on batches of {"r": (K, T), "d": (T,), "s", "gamma"}; return its states, costs, seconds."""
    python = peer_python(create)
    if python is None:
        raise FileNotFoundError(f"no peer venv at {peer_venv()}")
    payload = {
        "batches": [
            {"r": np.asarray(b["r"]).tolist(), "d": np.asarray(b["d"]).tolist(), "s": b["s"], "gamma": b["gamma"]}
            for b in batches
        ]
    }
    done = subprocess.run(
        [str(python), "-W", "ignore", str(PEER_SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["batches"]


def realistic_series(keys: int, buckets: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return (r, d): hourly counts of `keys` keys with a daily cycle, skewed popularity and planted bursts."""
    rng = np.random.default_rng(seed)
    hours = np.arange(buckets)
    daily = 1.0 + 0.6 * np.sin(2 * np.pi * (hours % 24) / 24)
    share = rng.pareto(1.2, keys) + 0.05
    share = 0.4 * share / share.sum()  # the keys together carry 40% of all posts
    rate = np.outer(share, 3000 * daily)
    for k in rng.choice(keys, keys // 10, replace=False):  # one key in ten gets a burst of 2x to 10x
        start = rng.integers(0, buckets - 6)
        rate[k, start : start + rng.integers(2, 24)] *= rng.uniform(2, 10)
    r = rng.poisson(rate)
    d = r.sum(axis=0) + rng.poisson(0.6 * 3000 * daily)  # plus the posts that carry none of these keys
    return r, d


def compare(
    r: np.ndarray, d: np.ndarray, s: float = 2.0, gamma: float = 1.0, create: bool = True, repeat: int = 5
) -> dict:
    """Time kleinberg_states (median of `repeat` runs) and the package (one run, it is slow) on the same series.

    Returns both times, the speed-up and how the costs and sequences compare, for the keys the package could run.
    """
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        ours = kleinberg_states(r, d, s, gamma)
        runs.append(time.perf_counter() - start)
    our_seconds = float(np.median(runs))
    peer = run_package([{"r": r, "d": d, "s": s, "gamma": gamma}], create)[0]
    ok = [i for i, key in enumerate(peer["keys"]) if "error" not in key]
    our_cost = total_cost(ours, r, d, s, gamma)[ok]
    their_cost = np.array([peer["keys"][i]["cost"] for i in ok])
    their_states = np.array([peer["keys"][i]["states"] for i in ok], dtype=bool).reshape(len(ok), r.shape[1])
    slack = COST_RTOL * np.maximum(1.0, np.abs(their_cost))
    identical = (ours[ok] == their_states).all(axis=1)
    greedy_optimal = np.abs(our_cost - their_cost) <= slack
    return {
        "keys": r.shape[0],
        "buckets": r.shape[1],
        "our_seconds": our_seconds,
        "package_seconds": peer["seconds"],
        "speedup": peer["seconds"] / our_seconds,
        "package_errors": r.shape[0] - len(ok),
        "never_above": bool(np.all(our_cost <= their_cost + slack)),
        "lower_cost_keys": int(np.count_nonzero(our_cost < their_cost - slack)),
        "max_saving": float(np.max(their_cost - our_cost, initial=0.0)),
        "identical_sequences": int(np.count_nonzero(identical)),
        "greedy_optimal": int(np.count_nonzero(greedy_optimal)),
        "identical_where_greedy_optimal": bool(identical[greedy_optimal].all()),
        "our_burst_keys": int(ours.any(axis=1).sum()),
        "package_burst_keys": int(their_states.any(axis=1).sum()),
    }


def main() -> None:
    """Print both times, the speed-up and whether our cost is ever above the package's."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--buckets", type=int, default=336, help="hourly buckets (336 = 14 days)")
    parser.add_argument("--s", type=float, default=2.0)
    parser.add_argument("--gamma", type=float, default=1.0)
    args = parser.parse_args()
    r, d = realistic_series(args.keys, args.buckets)
    kleinberg_states(r[:2], d, args.s, args.gamma)  # warm-up (imports, first allocations)
    res = compare(r, d, args.s, args.gamma)
    print(
        f"series: {res['keys']} keys x {res['buckets']} buckets, {int(d.sum()):,} posts, s={args.s}, gamma={args.gamma}"
    )
    print(f"planner.bursts.kleinberg_states (optimal Viterbi): {res['our_seconds'] * 1000:9.1f} ms (median of 5)")
    print(f"burst_detection 0.1.3 (greedy, peer venv):         {res['package_seconds'] * 1000:9.1f} ms (one run)")
    print(f"speed-up: {res['speedup']:.0f}x (target >= 100x)")
    print(f"package failed on {res['package_errors']} keys")
    print(
        f"our cost never above the package's: {res['never_above']} "
        f"(strictly lower on {res['lower_cost_keys']} keys, largest saving {res['max_saving']:.3f}); "
        f"identical sequences on {res['identical_sequences']} of {res['keys'] - res['package_errors']} keys"
    )
    print(
        f"package's greedy choice optimal on {res['greedy_optimal']} keys; "
        f"identical sequences on all of them: {res['identical_where_greedy_optimal']}"
    )
    print(f"keys with a burst: ours {res['our_burst_keys']}, package {res['package_burst_keys']}")
    if not (res["never_above"] and res["identical_where_greedy_optimal"]) or res["speedup"] < 100:
        sys.exit(1)


if __name__ == "__main__":
    main()
