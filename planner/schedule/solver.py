"""Auto-schedule: place posts in hourly slots maximising total score under every channel's cadence (MILP, HiGHS).

The model, per channel (channels are independent): a binary x[i, s] for each post i and eligible slot s;
each post at most once; in every run of slots closer together than the minimum gap, at most one post (these
runs are the maximal cliques of the "too close" relation, so the gap holds pairwise); per local day at most the
cadence's posts per day minus the posts already there. Slots too close to existing posts or on full days are
dropped first. Maximise the sum of scores. A greedy plan is computed too and kept if it were ever better
(it cannot be when HiGHS proves optimality), so the result never scores below greedy.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from planner.schedule.cadence import Cadence, slots

# Column generation starts from each post's best slots (more are added while they can improve the plan).
START_SLOTS_PER_POST = 24
ADD_SLOTS_PER_POST = 8
TIME_LIMIT_S = 20.0

ScoreFn = Callable[["Item", Sequence[datetime]], np.ndarray]


@dataclass(frozen=True)
class Item:
    """One post to place: a draft's variant on one channel, with what limits where it can go."""

    key: Hashable
    channel_id: int
    label: str = ""
    earliest: datetime | None = None  # e.g. the start of its trend's response window
    latest: datetime | None = None  # exclusive: the window's deadline
    blocked: tuple[tuple[datetime, datetime | None], ...] = ()  # paused intervals (end None = open)
    blocked_reason: str = ""


@dataclass(frozen=True)
class Placement:
    key: Hashable
    channel_id: int
    at: datetime
    score: float


@dataclass(frozen=True)
class Unplaced:
    key: Hashable
    channel_id: int
    reason: str


@dataclass
class Plan:
    placements: list[Placement] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    method: str = "milp"
    status: dict[int, str] = field(default_factory=dict)  # channel id -> solver status

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.placements))


@dataclass
class _Channel:
    """The pruned problem of one channel."""

    cadence: Cadence
    items: list[Item]
    slots: list[datetime]  # free slots after existing posts
    day: np.ndarray  # local-day index of each slot
    day_cap: np.ndarray  # remaining posts allowed per local day index
    scores: np.ndarray  # items x slots; 0 = not eligible
    all_slots: int  # allowed slots before existing posts were taken into account


def _epoch(times: Sequence[datetime]) -> np.ndarray:
    return np.array([t.timestamp() for t in times], dtype=np.int64)


def _blocked(item: Item, at: datetime) -> bool:
    return any(a <= at and (b is None or at < b) for a, b in item.blocked)


def _prepare(
    cad: Cadence, items: list[Item], start: datetime, end: datetime, busy: Sequence[datetime], score: ScoreFn
) -> _Channel:
    allowed = slots(cad, start, end)
    t = _epoch(allowed)
    gap = cad.min_gap_minutes * 60
    ok = np.ones(len(allowed), dtype=bool)
    existing_days: Counter = Counter(cad.local_day(b) for b in busy)
    if len(busy):
        b = np.sort(_epoch(busy))
        pos = np.searchsorted(b, t)
        after = np.where(pos < len(b), b[np.minimum(pos, len(b) - 1)] - t, np.iinfo(np.int64).max)
        before = np.where(pos > 0, t - b[np.maximum(pos - 1, 0)], np.iinfo(np.int64).max)
        near = np.minimum(after, before)
        ok &= (near >= gap) & (near != 0)
    days = [cad.local_day(s) for s in allowed]
    ok &= np.array([existing_days[d] < cad.posts_per_day for d in days], dtype=bool) if days else ok
    free = [s for s, keep in zip(allowed, ok, strict=True) if keep]
    free_days = [d for d, keep in zip(days, ok, strict=True) if keep]
    uniq = sorted(set(free_days))
    index = {d: i for i, d in enumerate(uniq)}
    day = np.array([index[d] for d in free_days], dtype=np.int64)
    day_cap = np.array([cad.posts_per_day - existing_days[d] for d in uniq], dtype=np.int64)
    scores = np.zeros((len(items), len(free)))
    for i, item in enumerate(items):
        if not free:
            break
        row = np.nan_to_num(np.asarray(score(item, free), dtype=float), nan=0.0)
        for j, s in enumerate(free):
            if (item.earliest and s < item.earliest) or (item.latest and s >= item.latest) or _blocked(item, s):
                row[j] = 0.0
        scores[i] = np.maximum(row, 0.0)
    return _Channel(cad, items, free, day, day_cap, scores, len(allowed))


def _windows(t: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Return the maximal runs [a, b) of slots closer together than `gap` seconds (each slot at least alone)."""
    ends = np.maximum(np.searchsorted(t, t + gap, side="left"), np.arange(len(t)) + 1)
    out, last = [], -1
    for a, b in enumerate(ends.tolist()):
        if b > last:
            out.append((a, b))
            last = b
    return out


def _constraints(ch: _Channel, pairs_i: np.ndarray, pairs_s: np.ndarray, wins, m, d):
    from scipy.sparse import csr_matrix, vstack

    n = len(pairs_i)
    a_item = csr_matrix((np.ones(n), (pairs_i, np.arange(n))), shape=(len(ch.items), n))
    return vstack([a_item, m[:, pairs_s], d[:, pairs_s]]).tocsr()


def _solve_milp(ch: _Channel) -> tuple[list[tuple[int, int]], str]:
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp
    from scipy.sparse import csr_matrix

    eligible = ch.scores > 0
    if not eligible.any():
        return [], "nothing eligible"
    n_items, n_slots = ch.scores.shape
    wins = _windows(_epoch(ch.slots), ch.cadence.min_gap_minutes * 60)
    rows = np.concatenate([np.full(b - a, k) for k, (a, b) in enumerate(wins)])
    cols = np.concatenate([np.arange(a, b) for a, b in wins])
    m = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(wins), n_slots)).tocsc()
    d = csr_matrix((np.ones(n_slots), (ch.day, np.arange(n_slots))), shape=(len(ch.day_cap), n_slots)).tocsc()
    ub = np.concatenate([np.ones(n_items), np.ones(len(wins)), ch.day_cap.astype(float)])
    # Column generation on the LP relaxation: start from each post's best slots, price every other eligible
    # (post, slot) pair with the duals, add those that would improve the plan, until none does. The relaxation
    # is usually integral here (interval constraints on slots); then it is the MILP's optimum too.
    order = np.argsort(-ch.scores, axis=1, kind="stable")
    active = np.zeros_like(eligible)
    np.put_along_axis(active, order[:, :START_SLOTS_PER_POST], True, axis=1)
    active &= eligible
    lp = None
    for _ in range(50):
        pairs_i, pairs_s = np.nonzero(active)
        w = ch.scores[pairs_i, pairs_s]
        a = _constraints(ch, pairs_i, pairs_s, wins, m, d)
        lp = linprog(-w, A_ub=a, b_ub=ub, bounds=(0, 1), method="highs-ds")
        if lp.status != 0:
            break
        y = -lp.ineqlin.marginals
        price = m.T @ y[n_items : n_items + len(wins)] + d.T @ y[n_items + len(wins) :]
        reduced = ch.scores - y[:n_items, None] - price[None, :]
        candidates = eligible & ~active & (reduced > 1e-9)
        if not candidates.any():
            break
        # Add each post's most promising few, not every improving pair: the LP stays small.
        best = np.argsort(-np.where(candidates, reduced, -np.inf), axis=1, kind="stable")[:, :ADD_SLOTS_PER_POST]
        enter = np.zeros_like(candidates)
        np.put_along_axis(enter, best, True, axis=1)
        active |= enter & candidates
    if lp is not None and lp.status == 0 and np.all(np.minimum(lp.x, 1 - lp.x) < 1e-7):
        chosen = np.nonzero(lp.x > 0.5)[0]
        return [(int(pairs_i[k]), int(pairs_s[k])) for k in chosen], "optimal (LP relaxation integral)"
    pairs_i, pairs_s = np.nonzero(eligible)
    res = milp(
        c=-ch.scores[pairs_i, pairs_s],
        constraints=LinearConstraint(_constraints(ch, pairs_i, pairs_s, wins, m, d), -np.inf, ub),
        integrality=np.ones(len(pairs_i)),
        bounds=Bounds(0, 1),
        options={"disp": False, "time_limit": TIME_LIMIT_S, "mip_rel_gap": 1e-9},
    )
    if res.x is None:
        return [], f"no solution ({res.message})"
    status = "optimal" if res.status == 0 else f"best found ({res.message})"
    chosen = np.nonzero(res.x > 0.5)[0]
    return [(int(pairs_i[k]), int(pairs_s[k])) for k in chosen], status


def _solve_greedy(ch: _Channel) -> list[tuple[int, int]]:
    """Take (post, slot) pairs from the best score down, whenever the post is free and the cadence allows it."""
    items, pairs_s = np.nonzero(ch.scores > 0)
    w = ch.scores[items, pairs_s]
    order = np.lexsort((pairs_s, items, -w))
    t = _epoch(ch.slots)
    gap = ch.cadence.min_gap_minutes * 60
    placed_t: list[int] = []
    used_items: set[int] = set()
    per_day = Counter()
    out = []
    for k in order:
        i, s = int(items[k]), int(pairs_s[k])
        if i in used_items or per_day[ch.day[s]] >= ch.day_cap[ch.day[s]]:
            continue
        pos = bisect.bisect_left(placed_t, t[s])
        if pos < len(placed_t) and (placed_t[pos] - t[s] < gap or placed_t[pos] == t[s]):
            continue
        if pos > 0 and (t[s] - placed_t[pos - 1] < gap or placed_t[pos - 1] == t[s]):
            continue
        placed_t.insert(pos, int(t[s]))
        used_items.add(i)
        per_day[ch.day[s]] += 1
        out.append((i, s))
    return out


def _explain(ch: _Channel, i: int, start: datetime, end: datetime, placed: int) -> str:
    item, cad = ch.items[i], ch.cadence
    span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if ch.all_slots == 0:
        return f"no allowed hour on this channel from {span} (cadence: {cad.describe()})"
    if not ch.slots:
        return f"existing posts already fill every slot the cadence allows from {span} ({cad.describe()})"
    if ch.scores[i].max(initial=0.0) > 0:
        return (
            f"the cadence ({cad.describe()}) leaves room for {placed} post(s) on this channel from {span}, "
            "and higher-scoring posts took them"
        )
    if item.blocked and all(_blocked(item, s) for s in ch.slots):
        return f"paused for every free slot in range: {item.blocked_reason}".rstrip(": ")
    if item.earliest or item.latest:
        a = f"{item.earliest:%Y-%m-%d %H:%M}" if item.earliest else "the start"
        b = f"{item.latest:%Y-%m-%d %H:%M}" if item.latest else "the end"
        return f"no free allowed slot inside its response window ({a} to {b} UTC) within {span}"
    return "no free slot scores above zero for this post"


def plan(
    items: Sequence[Item],
    cadences: Mapping[int, Cadence],
    start: datetime,
    end: datetime,
    score: ScoreFn,
    busy: Mapping[int, Sequence[datetime]] | None = None,
    method: str = "milp",
) -> Plan:
    """Return the best placement of `items` in [start, end) under each channel's cadence.

    `score(item, slots)` gives each slot's value for the item (0 or less: not eligible); `busy` lists the times
    already taken per channel (they count towards the cadence). `method` is "milp" (optimal; never below greedy)
    or "greedy" (the baseline it is compared with).
    """
    if method not in ("milp", "greedy"):
        raise ValueError(f"method: {method!r}")
    busy = busy or {}
    out = Plan(method=method)
    by_channel: dict[int, list[Item]] = {}
    for item in items:
        by_channel.setdefault(item.channel_id, []).append(item)
    for channel_id in sorted(by_channel):
        chan_items = by_channel[channel_id]
        cad = cadences.get(channel_id) or Cadence(channel_id)
        ch = _prepare(cad, chan_items, start, end, list(busy.get(channel_id, ())), score)
        greedy = _solve_greedy(ch)
        chosen, status = greedy, "greedy"
        if method == "milp":
            exact, status = _solve_milp(ch)
            total = float(sum(ch.scores[i, s] for i, s in exact))
            if total + 1e-9 < float(sum(ch.scores[i, s] for i, s in greedy)):
                status = f"greedy kept ({status})"
            else:
                chosen = exact
        out.status[channel_id] = status
        placed_items = set()
        for i, s in sorted(chosen, key=lambda p: (ch.slots[p[1]], p[0])):
            placed_items.add(i)
            out.placements.append(Placement(chan_items[i].key, channel_id, ch.slots[s], float(ch.scores[i, s])))
        for i, item in enumerate(chan_items):
            if i not in placed_items:
                out.unplaced.append(Unplaced(item.key, channel_id, _explain(ch, i, start, end, len(chosen))))
    return out
