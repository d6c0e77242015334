"""Load the fictional demo workspace; each capability adds its part to PARTS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from planner import audit, workspace
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.demo.world import WORLD, DemoWorld
from planner.errors import PlannerError
from planner.models import utcnow

DEFAULT_SEED = 20261101


class DemoAlreadyLoaded(PlannerError):
    """The demo workspace was loaded into this database before."""


@dataclass
class DemoContext:
    """What every demo part gets: the session, the acting user, the world, a seeded generator, and the clock."""

    session: Session
    actor: Actor
    world: DemoWorld
    rng: np.random.Generator
    progress: Callable[[float, str], None]
    # The demo's clock: the load moment floored to the hour (UTC). Parts date everything relative to it, so the
    # demo looks live on the day it is loaded: newest posts in the last hours, a campaign emerging now.
    now: datetime


# Each part adds one capability's fictional data and returns a one-line summary. Order matters: later parts
# may use what earlier ones made. Parts must not commit; load_demo commits once.
DemoPart = Callable[[DemoContext], str]
PARTS: list[DemoPart] = []


def load_demo(
    session: Session,
    actor: Actor,
    seed: int = DEFAULT_SEED,
    progress: Callable[[float, str], None] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Load the demo world, dated up to `now` (default: this hour, UTC), in one transaction; return each part's summary.

    Raises DemoAlreadyLoaded if it was loaded before, PermissionDenied for non-admins.
    """
    require(actor, Action.LOAD_DEMO)
    report = progress or (lambda _f, _m: None)
    with atomic(session):
        if workspace.get_setting(session, workspace.DEMO_KEY):
            raise DemoAlreadyLoaded("the demo workspace is already loaded in this database")
        clock = pd.Timestamp(now or utcnow()).tz_convert("UTC").floor("h").to_pydatetime()
        ctx = DemoContext(session, actor, WORLD, np.random.default_rng(seed), report, clock)
        summaries = [f"Fictional world: {WORLD.adversary} (adversary) vs {WORLD.our_organisation}"]
        for i, part in enumerate(PARTS):
            report(i / max(len(PARTS), 1), part.__doc__ or part.__name__)
            summaries.append(part(ctx))
        workspace.set_setting(session, workspace.DEMO_KEY, utcnow().isoformat())
        audit.record(session, actor, "demo.load", "workspace", "", "; ".join(summaries))
    report(1.0, "done")
    return summaries


# The parts, in order: later parts use what earlier ones made (trends are detected on the posts, coordination
# writes its share onto the trends, campaigns link them, the schedule answers the trend, metrics follow its posts).
from planner.demo import briefs as _briefs  # noqa: E402
from planner.demo import campaigns as _campaigns  # noqa: E402
from planner.demo import coordination as _coordination  # noqa: E402
from planner.demo import metrics as _metrics  # noqa: E402
from planner.demo import posts as _posts  # noqa: E402
from planner.demo import schedule as _schedule  # noqa: E402
from planner.demo import trends as _trends  # noqa: E402

PARTS.extend(
    [
        _posts.add_demo_posts,
        _trends.add_demo_trends,
        _coordination.add_demo_coordination,
        _campaigns.add_campaigns,
        _briefs.add_brief_settings,
    ]
)
PARTS.append(_schedule.add_schedule)
PARTS.append(_metrics.add_metrics)
