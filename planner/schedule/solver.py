"""Auto-schedule: place posts in hourly slots maximising total score under every channel's cadence (MILP, HiGHS).

The model, per channel (channels are independent): a binary x[i, s] for each post i and eligible slot s;
each post at most once; in every run of slots closer together than the minimum gap, at most one post (these
runs are the maximal cliques of the "too close" relation, so the gap holds pairwise); per local day at most the
cadence's posts per day minus the posts already there. Slots too close to existing posts or on full days are
dropped first. Maximise the sum of scores. Posts with the same score in every slot are one class with a count
(no symmetric branching). Solved with HiGHS (highspy): column generation on the LP relaxation, warm-started in
one model; when it is fractional, branch and bound over the pairs that reduced costs do not rule out (exact).
A greedy plan is computed too and kept if it were ever better (it cannot be when HiGHS proves optimality), so
the result never scores below greedy.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from planner import wording
from planner.schedule.cadence import Cadence, slots

# Column generation starts from each post's best slots (more are added while they can improve the plan).
START_SLOTS_PER_POST = 48
ADD_SLOTS_PER_POST = 16
# When the LP relaxation is fractional, branch and bound first searches the pairs whose reduced cost is within this
# share of the average post's value of the LP bound (widened once, to what is needed to prove the optimum).
NARROW_BAND = 0.02
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
    greedy_score: float = 0.0  # the greedy plan's score on the same inputs (the baseline)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent: prepare, greedy, exact

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
    ft = _epoch(free)
    for i, item in enumerate(items):
        if not free:
            break
        row = np.nan_to_num(np.asarray(score(item, free), dtype=float), nan=0.0)
        if item.earliest is not None:
            row[ft < item.earliest.timestamp()] = 0.0
        if item.latest is not None:
            row[ft >= item.latest.timestamp()] = 0.0
        for a, b in item.blocked:
            row[(ft >= a.timestamp()) & (ft < (b.timestamp() if b is not None else np.inf))] = 0.0
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


def _highs():
    """Return a silent HiGHS instance (the base class: highspy.Highs prints a banner when first made)."""
    import highspy

    h = highspy._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    return h


def _columns(pairs_i: np.ndarray, pairs_s: np.ndarray, slot_ptr: np.ndarray, slot_row: np.ndarray, n_items: int):
    """Return the CSC arrays (starts, rows, values) of the (post, slot) columns: the post's row, the slot's rows."""
    lens = 1 + slot_ptr[pairs_s + 1] - slot_ptr[pairs_s]
    starts = np.zeros(len(lens), dtype=np.int32)
    np.cumsum(lens[:-1], out=starts[1:])
    total = int(lens.sum())
    within = np.arange(total) - np.repeat(starts, lens)
    rows = np.empty(total, dtype=np.int32)
    head = within == 0
    rows[head] = pairs_i
    src = (np.repeat(slot_ptr[pairs_s], lens) + within - 1)[~head]
    rows[~head] = slot_row[src] + n_items
    return starts, rows, np.ones(total)


def _add(h, ch: _Channel, pairs_i, pairs_s, slot_ptr, slot_row, upper: float) -> None:
    starts, rows, vals = _columns(pairs_i, pairs_s, slot_ptr, slot_row, ch.scores.shape[0])
    n = len(pairs_i)
    h.addCols(n, -ch.scores[pairs_i, pairs_s], np.zeros(n), np.full(n, upper), len(rows), starts, rows, vals)


def _solve_milp(ch: _Channel, incumbent: float) -> tuple[list[tuple[int, int]], str]:
    """Return the best plan of the channel and how it was proven.

    Posts with the same score in every slot (same campaign audience, no trend window, no pause) are
    interchangeable: they are solved as one class that may take as many slots as it has posts, which removes
    the symmetry branch and bound would otherwise explore; the class's slots then go to its posts, earliest
    slot to the smallest key.
    """
    classes, of, counts = np.unique(ch.scores, axis=0, return_inverse=True, return_counts=True)
    grouped = _Channel(ch.cadence, ch.items, ch.slots, ch.day, ch.day_cap, classes, ch.all_slots)
    pairs, status = _solve_classes(grouped, counts, incumbent)
    members = [
        sorted(np.nonzero(of.ravel() == c)[0].tolist(), key=lambda i: _order_key(ch.items[i]))
        for c in range(len(classes))
    ]
    out = []
    for c, s in sorted(pairs, key=lambda p: (p[0], ch.slots[p[1]])):
        out.append((int(members[c].pop(0)), s))
    return out, status


def _order_key(item: Item):
    """Sort key of a post within its class (its key when keys compare, so input order does not matter)."""
    key = item.key
    return (type(key).__name__, key) if isinstance(key, int | float | str) else ("~", str(key))


def _solve_classes(ch: _Channel, counts: np.ndarray, incumbent: float) -> tuple[list[tuple[int, int]], str]:
    import highspy
    from scipy.sparse import csr_matrix, vstack

    eligible = ch.scores > 0
    if not eligible.any():
        return [], "nothing eligible"
    n_items, n_slots = ch.scores.shape
    wins = _windows(_epoch(ch.slots), ch.cadence.min_gap_minutes * 60)
    rows = np.concatenate([np.full(b - a, k) for k, (a, b) in enumerate(wins)])
    cols = np.concatenate([np.arange(a, b) for a, b in wins])
    m = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(wins), n_slots))
    d = csr_matrix((np.ones(n_slots), (ch.day, np.arange(n_slots))), shape=(len(ch.day_cap), n_slots))
    slot_mat = vstack([m, d]).tocsc()  # the slot rows (gap windows, then local days) of each slot
    slot_mat.sort_indices()
    slot_ptr, slot_row = slot_mat.indptr.astype(np.int64), slot_mat.indices.astype(np.int32)
    ub = np.concatenate([counts.astype(float), np.ones(len(wins)), ch.day_cap.astype(float)])
    h = _highs()
    h.addRows(len(ub), np.full(len(ub), -highspy.kHighsInf), ub, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), [])
    # Column generation on the LP relaxation, warm-started in one HiGHS model: start from each post's best slots,
    # price every other eligible (post, slot) pair with the duals, add those that would improve the plan, until
    # none does. The relaxation is usually integral here (interval constraints on slots); then it is the MILP's
    # optimum too. No upper bounds (each post's row already caps its pairs at 1): every dual sits on a row, so
    # reduced costs are exact and the LP optimum equals sum(ub * duals).
    order = np.argsort(-ch.scores, axis=1, kind="stable")
    active = np.zeros_like(eligible)
    np.put_along_axis(active, order[:, :START_SLOTS_PER_POST], True, axis=1)
    active &= eligible
    pairs_i, pairs_s = np.nonzero(active)
    _add(h, ch, pairs_i, pairs_s, slot_ptr, slot_row, highspy.kHighsInf)
    converged, reduced = False, None
    for _ in range(500):
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        y = np.maximum(-np.asarray(h.getSolution().row_dual), 0.0)
        reduced = ch.scores - y[:n_items, None] - (slot_mat.T @ y[n_items:])[None, :]
        candidates = eligible & ~active & (reduced > 1e-9)
        if not candidates.any():
            converged = True  # no pair prices in: the LP over the active pairs is the LP over all pairs
            break
        # Add each post's most promising few, not every improving pair: the LP stays small.
        best = np.argsort(-np.where(candidates, reduced, -np.inf), axis=1, kind="stable")[:, :ADD_SLOTS_PER_POST]
        enter = np.zeros_like(candidates)
        np.put_along_axis(enter, best, True, axis=1)
        enter &= candidates
        new_i, new_s = np.nonzero(enter)
        _add(h, ch, new_i, new_s, slot_ptr, slot_row, highspy.kHighsInf)
        pairs_i, pairs_s = np.concatenate([pairs_i, new_i]), np.concatenate([pairs_s, new_s])
        active |= enter
    x = np.asarray(h.getSolution().col_value)
    if converged and np.all(np.minimum(x, 1 - x) < 1e-7):
        chosen = np.nonzero(x > 0.5)[0]
        return [(int(pairs_i[k]), int(pairs_s[k])) for k in chosen], "optimal (LP relaxation integral)"
    # Fractional. For any duals y >= 0 and any plan, value <= y.b + the plan's reduced costs <= bound + the
    # reduced cost of any one of its pairs, where bound = y.b + each post's best positive reduced cost (0 at the
    # LP optimum). So a plan worth at least L uses only pairs whose reduced cost is >= L - bound: branch and bound
    # over those pairs finds the best plan worth at least L, exactly. L comes from a near-optimal plan first (the
    # LP's pairs from the most integral down, then the rest by reduced cost): when it meets the bound, it is
    # optimal; otherwise a narrow band of pairs is searched first and widened once if its best cannot be proven.
    if reduced is None:
        reduced, bound = np.zeros_like(ch.scores), np.inf
        best, value = [], -np.inf
    else:
        slack = float((np.maximum(np.where(eligible, reduced, 0.0).max(axis=1), 0.0) * counts).sum())
        bound = float(ub @ y) + slack
        xs = np.zeros_like(ch.scores)
        xs[pairs_i, pairs_s] = x if len(x) == len(pairs_i) else 0.0
        cand_i, cand_s = np.nonzero(eligible)
        order = np.lexsort((cand_s, cand_i, -ch.scores[cand_i, cand_s], -reduced[cand_i, cand_s], -xs[cand_i, cand_s]))
        best = _fill(ch, cand_i[order], cand_s[order], counts)
        value = float(sum(ch.scores[i, s] for i, s in best))
        if value >= bound - 1e-9:
            return best, "optimal (rounded LP meets its bound)"
    floor = max(value, incumbent)
    band = max(min(bound - floor, NARROW_BAND * max(bound, 0.0) / max(n_items, 1)), 0.0)
    start = None
    while True:
        keep = eligible & (reduced >= -band - 1e-9)
        found = _branch_and_bound(ch, keep, slot_ptr, slot_row, ub, start)
        if found is None:
            return best, "best found (branch and bound found nothing better than the rounded LP)"
        pairs, got, status = found
        if got > value:
            best, value = pairs, got
        floor = max(value, incumbent)
        if status != "optimal" or bound - floor <= band + 1e-9:
            # Every plan worth more than `floor` lies in the band searched, so the best there is the best.
            return best, "optimal (branch and bound)" if status == "optimal" else f"best found ({status})"
        band, start = max(bound - floor, 0.0), best


def _branch_and_bound(ch: _Channel, use: np.ndarray, slot_ptr, slot_row, ub, start=None):
    """Return (best plan over the pairs in `use`, its value, solver status) by HiGHS MILP, or None."""
    import highspy

    pairs_i, pairs_s = np.nonzero(use)
    h = _highs()
    h.addRows(len(ub), np.full(len(ub), -highspy.kHighsInf), ub, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), [])
    _add(h, ch, pairs_i, pairs_s, slot_ptr, slot_row, 1.0)
    n = len(pairs_i)
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    if start:
        # Start from the plan found so far (its pairs are in `use`): the search prunes with its value at once.
        col = {(i, s): k for k, (i, s) in enumerate(zip(pairs_i.tolist(), pairs_s.tolist(), strict=True))}
        x0 = np.zeros(n)
        x0[[col[p] for p in start if p in col]] = 1.0
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    if not h.getInfo().primal_solution_status:
        return None
    x = np.asarray(h.getSolution().col_value)
    chosen = np.nonzero(x > 0.5)[0]
    pairs = [(int(pairs_i[k]), int(pairs_s[k])) for k in chosen]
    ok = status == highspy.HighsModelStatus.kOptimal
    value = float(ch.scores[pairs_i[chosen], pairs_s[chosen]].sum())
    return pairs, value, "optimal" if ok else h.modelStatusToString(status)


def _solve_greedy(ch: _Channel) -> list[tuple[int, int]]:
    """Take (post, slot) pairs from the best score down, whenever the post is free and the cadence allows it."""
    items, pairs_s = np.nonzero(ch.scores > 0)
    w = ch.scores[items, pairs_s]
    order = np.lexsort((pairs_s, items, -w))
    return _fill(ch, items[order], pairs_s[order])


def _fill(ch: _Channel, items: np.ndarray, pairs_s: np.ndarray, counts=None) -> list[tuple[int, int]]:
    """Take the (post, slot) pairs in the order given whenever the post (or class of `counts` posts) is free
    and the cadence allows it."""
    t = _epoch(ch.slots)
    gap = ch.cadence.min_gap_minutes * 60
    placed_t: list[int] = []
    left = Counter(dict(enumerate(counts.tolist()))) if counts is not None else Counter(range(ch.scores.shape[0]))
    per_day = Counter()
    out = []
    for i, s in zip(items.tolist(), pairs_s.tolist(), strict=True):
        if left[i] <= 0 or per_day[ch.day[s]] >= ch.day_cap[ch.day[s]]:
            continue
        pos = bisect.bisect_left(placed_t, t[s])
        if pos < len(placed_t) and (placed_t[pos] - t[s] < gap or placed_t[pos] == t[s]):
            continue
        if pos > 0 and (t[s] - placed_t[pos - 1] < gap or placed_t[pos - 1] == t[s]):
            continue
        placed_t.insert(pos, int(t[s]))
        left[i] -= 1
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
        t0 = time.perf_counter()
        ch = _prepare(cad, chan_items, start, end, list(busy.get(channel_id, ())), score)
        t1 = time.perf_counter()
        greedy = _solve_greedy(ch)
        t2 = time.perf_counter()
        greedy_total = float(sum(ch.scores[i, s] for i, s in greedy))
        out.greedy_score += greedy_total
        chosen, status = greedy, "greedy"
        if method == "milp":
            exact, status = _solve_milp(ch, greedy_total)
            out.seconds["exact"] = out.seconds.get("exact", 0.0) + time.perf_counter() - t2
            if float(sum(ch.scores[i, s] for i, s in exact)) + 1e-9 < greedy_total:
                status = f"greedy kept ({status})"
            else:
                chosen = exact
        out.status[channel_id] = status
        out.seconds["prepare"] = out.seconds.get("prepare", 0.0) + t1 - t0
        out.seconds["greedy"] = out.seconds.get("greedy", 0.0) + t2 - t1
        placed_items = set()
        for i, s in sorted(chosen, key=lambda p: (ch.slots[p[1]], p[0])):
            placed_items.add(i)
            out.placements.append(Placement(chan_items[i].key, channel_id, ch.slots[s], float(ch.scores[i, s])))
        for i, item in enumerate(chan_items):
            if i not in placed_items:
                out.unplaced.append(Unplaced(item.key, channel_id, _explain(ch, i, start, end, len(chosen))))
    return out


# ---- auto-schedule over the workspace ------------------------------------------------------------------------


@dataclass
class AutoResult:
    """What auto-schedule placed (entry ids unless a dry run), what it left out and why."""

    plan: Plan
    start: datetime
    end: datetime
    labels: dict[int, str]  # variant id -> "draft title on channel"
    entries: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (draft id, title, why not considered)
    greedy_score: float = 0.0
    whys: dict[int, str] = field(default_factory=dict)  # variant id -> why its slot (placed posts)

    def sentence(self) -> str:
        """Return the outcome for people: 'Placed 2 posts; 1 post could not be placed; 1 draft was not considered.'"""
        parts = [f"Placed {wording.plural(len(self.plan.placements), 'post')}"]
        if self.plan.unplaced:
            parts.append(f"{wording.plural(len(self.plan.unplaced), 'post')} could not be placed")
        if self.skipped:
            n = len(self.skipped)
            parts.append(f"{wording.plural(n, 'draft')} {'was' if n == 1 else 'were'} not considered")
        return "; ".join(parts) + "."

    def lines(self) -> list[str]:
        """Return a plain-text report: placed posts, posts not placed with why, drafts not considered with why."""
        out = [
            f"Placed {wording.plural(len(self.plan.placements), 'post')}, score {self.plan.score:.2f} "
            f"(greedy {self.greedy_score:.2f}), from {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC"
        ]
        out += [f"  {p.at:%Y-%m-%d %H:%M} UTC  {self.labels[p.key]}" for p in self.plan.placements]
        out += [f"Not placed: {self.labels[u.key]}: {u.reason}" for u in self.plan.unplaced]
        out += [f"Not considered: {title} (draft {i}): {why}" for i, title, why in self.skipped]
        return out


def auto_schedule(
    session,
    actor,
    *,
    campaign: int | str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    best_hours: Mapping[int, Mapping[int, float]] | None = None,
    variant_ids: Sequence[int] | None = None,
    dry_run: bool = False,
    method: str = "milp",
) -> AutoResult:
    """Place every approved, not yet scheduled channel variant in the best free slots of [start, end).

    Default range: the next 7 days from now. Posts answering a trend marked "respond" go inside its response
    window; paused scopes get nothing. `best_hours` maps channel id -> {UTC hour of week: reach}; by default each
    channel's own best hours from its reach metrics (planner.metrics.besttime). Raises ScheduleError for a bad range
    or campaign, PermissionDenied.
    """
    from sqlalchemy import select

    from planner import audit, campaigns, channels
    from planner.auth import Action, require
    from planner.db import atomic
    from planner.errors import PlannerError
    from planner.models import Campaign, Channel, Draft, DraftVariant, ScheduleEntry, Trend, utcnow
    from planner.schedule import ScheduleError, windows
    from planner.schedule import entries as entries_mod
    from planner.schedule import pauses as pauses_mod
    from planner.schedule.cadence import SLOT, all_cadences, floor_hour

    require(actor, Action.SCHEDULE)
    now = now or utcnow()
    start = max(start or now, now)
    if floor_hour(start) < start:
        start = floor_hour(start) + SLOT
    end = end or start + timedelta(days=7)
    if end <= start:
        raise ScheduleError("range: --to must be after --from (and after now)")
    if end - start > timedelta(days=120):
        raise ScheduleError("range: plan at most 120 days at once")
    stmt = select(Draft).where(Draft.status.in_(entries_mod.SCHEDULABLE_DRAFT_STATES)).order_by(Draft.id)
    if campaign is not None:
        try:
            camp_id = campaigns.get_campaign(session, campaign).id
        except PlannerError as exc:
            raise ScheduleError(str(exc)) from exc
        stmt = stmt.where(Draft.campaign_id == camp_id)
    taken = set(session.scalars(select(ScheduleEntry.variant_id).where(ScheduleEntry.status.in_(entries_mod.HOLDING))))
    cadences = all_cadences(session)
    pause_scopes = [(p, pauses_mod.scope_of(session, p)) for p in pauses_mod.all_pauses(session)]
    chans = {c.id: c for c in session.scalars(select(Channel))}
    if best_hours is None:
        # Once reach metrics exist, each channel's own best hours (last 16 weeks of results) count in the score.
        from planner.metrics import besttime

        best_hours = besttime.best_hours_by_channel(session, list(chans), now)
    camps = {c.id: c for c in session.scalars(select(Campaign))}
    drafts = list(session.scalars(stmt))
    reasons = entries_mod.reasons_not_schedulable(session, drafts)
    # Trends marked "respond" each draft answers, linked to the draft or through its campaign.
    respond: dict[int, list[Trend]] = entries_mod.answered_trends(session, drafts)
    profiles: dict[int, np.ndarray | None] = {}
    items, scorers, labels, trend_of, skipped = [], {}, {}, {}, []
    for draft in drafts:
        if reasons[draft.id]:
            skipped.append((draft.id, draft.title, reasons[draft.id]))
            continue
        camp = camps[draft.campaign_id]
        window = trend = None
        for t in respond.get(draft.id, []):
            w = windows.response_window(session, t)
            if w.end > start:
                window, trend = w, t
                break
        if trend is not None and trend.id not in profiles:
            profiles[trend.id] = windows.trend_profile(trend)
        for v in draft.variants:
            if v.id in taken or (variant_ids is not None and v.id not in variant_ids):
                continue
            ch = chans[v.channel_id]
            labels[v.id] = f"{draft.title} on {channels.label(ch)}"
            if not ch.active:
                skipped.append((draft.id, draft.title, f"{channels.label(ch)} is inactive"))
                continue
            covering = [p for p, sc in pause_scopes if sc.covers(ch.id, camp.id)]
            cad = cadences.get(ch.id)
            items.append(
                Item(
                    v.id,
                    ch.id,
                    labels[v.id],
                    earliest=window.start if window else None,
                    latest=window.end if window else None,
                    blocked=tuple((p.starts_at, pauses_mod.effective_end(p)) for p in covering),
                    blocked_reason="; ".join(p.reason for p in covering),
                )
            )
            scorers[v.id] = windows.Scorer(
                windows.audience_of(camp, cad.time_zone if cad else "UTC"),
                profiles[trend.id] if trend is not None else None,
                window,
                (best_hours or {}).get(ch.id),
                weight=2.0 if window else 1.0,
            )
            trend_of[v.id] = trend.id if trend is not None else None
    busy = entries_mod.busy_times(session, {i.channel_id for i in items}, start, end)

    def score(item: Item, times: Sequence[datetime]) -> np.ndarray:
        return scorers[item.key].scores(times)

    result = plan(items, cadences, start, end, score, busy, method=method)
    out = AutoResult(result, start, end, labels, skipped=skipped, greedy_score=result.greedy_score)
    for p in result.placements:
        out.whys[p.key] = scorers[p.key].why(p.at, cadences[p.channel_id].zone if p.channel_id in cadences else None)
    if dry_run or not result.placements:
        return out
    with atomic(session):
        for p in result.placements:
            v = session.get(DraftVariant, p.key)
            entry = ScheduleEntry(
                draft_id=v.draft_id,
                variant_id=v.id,
                channel_id=p.channel_id,
                scheduled_at=p.at,
                trend_id=trend_of[p.key],
                why=out.whys[p.key],
                created_by=actor.user_id,
            )
            session.add(entry)
            session.flush()
            out.entries.append(entry.id)
            entries_mod.move_draft(session, actor, session.get(Draft, v.draft_id), "schedule")
        audit.record(
            session,
            actor,
            "schedule.auto",
            "schedule",
            "",
            f"auto-scheduled {len(result.placements)} post(s) from {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC (score {result.score:.2f}, greedy {out.greedy_score:.2f}); "
            f"{len(result.unplaced)} not placed, {len(skipped)} draft(s) not considered",
        )
    return out
