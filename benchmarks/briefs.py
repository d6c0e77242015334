"""Benchmark the PDF brief of the demo campaign: `python -m planner export-brief` end to end, and the render kernel.

Prints, for the demo campaign "Valley Together" (all sections):
- whole process: the median wall time of `python -m planner export-brief --format pdf` (target under 5 s), beside the
  floor measured in the same run: `python -m planner --help` (starting the CLI) and `python -c pass`;
- the kernel inside one process: building the sections, then rendering PDF, Word, HTML and Markdown from them.

Usage: python benchmarks/briefs.py [--data-dir DIR] [--runs 3]. Without --data-dir it loads the demo into a
temporary workspace first (about a minute, not timed).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "Valley Together"
TARGET_S = 5.0


def _wall(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Return the median wall time and the median CPU time (user + system) of running `cmd`."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _kernel(data_dir: Path, runs: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    os.environ["PLANNER_DATA_DIR"] = str(data_dir)
    from planner import briefs, campaigns
    from planner.db import open_workspace

    ws = open_workspace()
    out: dict[str, list[float]] = {}
    try:
        with ws.session() as session:
            camp = campaigns.get_campaign(session, CAMPAIGN)
            briefs.render(briefs.build(session, camp, briefs.BriefOptions()), "pdf")  # warm imports and fonts
            for _ in range(runs):
                t0 = time.perf_counter()
                ctx = briefs.build(session, camp, briefs.BriefOptions())
                out.setdefault("build sections", []).append(time.perf_counter() - t0)
                for fmt in ("pdf", "docx", "html", "md"):
                    t0 = time.perf_counter()
                    briefs.render(ctx, fmt)  # charts are drawn once per format and context, as in a real export
                    out.setdefault(f"render {fmt}", []).append(time.perf_counter() - t0)
    finally:
        ws.dispose()
    return {k: statistics.median(v) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="A workspace folder with the demo loaded.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = None
    data_dir = args.data_dir
    env = {**os.environ, "PLANNER_DATABASE_URL": ""}
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory()
        data_dir = Path(tmp.name)
        print("loading the demo workspace (not timed)...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "planner", "demo"],
            cwd=ROOT,
            env={**env, "PLANNER_DATA_DIR": str(data_dir)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    env["PLANNER_DATA_DIR"] = str(data_dir)
    out = Path(data_dir) / "brief.pdf"
    export = [sys.executable, "-m", "planner", "export-brief", "--campaign", CAMPAIGN, "--format", "pdf"]
    export += ["-o", str(out)]
    _wall(export, env, 1)  # first run applies any pending migration; not timed
    whole, whole_cpu = _wall(export, env, args.runs)
    cli_floor, cli_cpu = _wall([sys.executable, "-m", "planner", "--help"], env, args.runs)
    python_floor, python_cpu = _wall([sys.executable, "-c", "pass"], env, args.runs)
    size = out.stat().st_size
    print(
        f"PDF brief of {CAMPAIGN!r}, whole process (median of {args.runs}): {whole:.2f} s wall, {whole_cpu:.2f} s CPU "
        f"(target < {TARGET_S} s: {'met' if whole < TARGET_S else 'NOT met'}; {size:,} bytes)"
    )
    print(
        f"  floor, same run: `python -m planner --help` {cli_floor:.2f} s wall ({cli_cpu:.2f} s CPU), "
        f"`python -c pass` {python_floor:.2f} s wall ({python_cpu:.2f} s CPU)"
    )
    print(f"  brief work beyond starting the CLI: {whole - cli_floor:.2f} s wall")
    for name, seconds in _kernel(Path(data_dir), args.runs).items():  # wall time inside one process
        print(f"  kernel, {name}: {seconds:.2f} s")
    load = os.getloadavg()[0]
    print(f"  load average during the run: {load:.1f} on {os.cpu_count()} cores")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
