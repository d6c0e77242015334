"""Watchlists of known propaganda hashtags, terms, domains and accounts: edit them, flag matching trends."""

from __future__ import annotations

import json
import re
import unicodedata

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import Trend, Watchlist, WatchlistItem

ITEM_KINDS = ("hashtag", "term", "domain", "account")
_DOMAIN_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?(?:www\.)?([^/:?#\s]+)")


class WatchlistError(PlannerError):
    """A watchlist or item is invalid, duplicated or missing."""


def normalise(kind: str, value: str) -> str:
    """Return the stored form of a watchlist value: '#tag', 'term words', 'domain.tld', '@handle'.

    Raises WatchlistError for an unknown kind or an empty value.
    """
    if kind not in ITEM_KINDS:
        raise WatchlistError(f"kind: {kind!r} is not one of {', '.join(ITEM_KINDS)}")
    text = " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())
    if kind == "hashtag":
        text = text.lstrip("#").replace(" ", "")
        text = f"#{text}" if text else ""
    elif kind == "account":
        text = text.lstrip("@").replace(" ", "")
        text = f"@{text}" if text else ""
    elif kind == "domain":
        match = _DOMAIN_RE.match(text)
        text = match.group(1).rstrip(".") if match else ""
    if not text:
        raise WatchlistError(f"value: give a non-empty {kind}")
    return text


def create_watchlist(session: Session, actor: Actor, name: str, description: str = "") -> Watchlist:
    """Create a watchlist; raise WatchlistError when the name is empty or taken."""
    require(actor, Action.EDIT_WATCHLISTS)
    with atomic(session):
        wl = new_watchlist(session, actor, name, description)
    return wl


def new_watchlist(session: Session, actor: Actor, name: str, description: str = "") -> Watchlist:
    """Do the work of create_watchlist inside the caller's transaction (the demo loader uses it); does not commit."""
    name = " ".join((name or "").split())
    if not name:
        raise WatchlistError("name: give the watchlist a name")
    if session.scalar(select(Watchlist.id).where(Watchlist.name == name)) is not None:
        raise WatchlistError(f"name: a watchlist called {name!r} exists")
    wl = Watchlist(name=name, description=(description or "").strip())
    session.add(wl)
    session.flush()
    audit.record(session, actor, "watchlist.create", "watchlist", wl.id, f"created watchlist {name!r}")
    return wl


def get_watchlist(session: Session, watchlist_id: int) -> Watchlist:
    """Return a watchlist by id; raise WatchlistError when there is none."""
    wl = session.get(Watchlist, watchlist_id)
    if wl is None:
        raise WatchlistError(f"no watchlist with id {watchlist_id}")
    return wl


def delete_watchlist(session: Session, actor: Actor, watchlist_id: int) -> None:
    """Delete a watchlist and its items, then re-flag trends."""
    require(actor, Action.EDIT_WATCHLISTS)
    with atomic(session):
        wl = get_watchlist(session, watchlist_id)
        name = wl.name
        session.execute(delete(WatchlistItem).where(WatchlistItem.watchlist_id == wl.id))
        session.delete(wl)
        session.flush()
        refresh_flags(session)
        audit.record(session, actor, "watchlist.delete", "watchlist", watchlist_id, f"deleted watchlist {name!r}")


def add_item(session: Session, actor: Actor, watchlist_id: int, kind: str, value: str, note: str = "") -> WatchlistItem:
    """Add a normalised value to a watchlist and re-flag trends; raise WatchlistError for a duplicate."""
    require(actor, Action.EDIT_WATCHLISTS)
    with atomic(session):
        item = new_item(session, actor, watchlist_id, kind, value, note)
    return item


def new_item(session: Session, actor: Actor, watchlist_id: int, kind: str, value: str, note: str = "") -> WatchlistItem:
    """Do the work of add_item inside the caller's transaction (the demo loader uses it); does not commit."""
    normal = normalise(kind, value)
    wl = get_watchlist(session, watchlist_id)
    exists = select(WatchlistItem.id).where(
        WatchlistItem.watchlist_id == wl.id, WatchlistItem.kind == kind, WatchlistItem.value == normal
    )
    if session.scalar(exists) is not None:
        raise WatchlistError(f"value: {normal} is already on {wl.name!r}")
    item = WatchlistItem(watchlist_id=wl.id, kind=kind, value=normal, note=(note or "").strip())
    session.add(item)
    try:
        session.flush()
    except IntegrityError as exc:
        raise WatchlistError(f"value: {normal} is already on {wl.name!r}") from exc
    refresh_flags(session)
    audit.record(session, actor, "watchlist.add", "watchlist", wl.id, f"{wl.name}: added {kind} {normal}")
    return item


def remove_item(session: Session, actor: Actor, item_id: int) -> None:
    """Remove a watchlist item and re-flag trends."""
    require(actor, Action.EDIT_WATCHLISTS)
    with atomic(session):
        item = session.get(WatchlistItem, item_id)
        if item is None:
            raise WatchlistError(f"no watchlist item with id {item_id}")
        wl = session.get(Watchlist, item.watchlist_id)
        summary = f"{wl.name if wl else '?'}: removed {item.kind} {item.value}"
        session.delete(item)
        session.flush()
        refresh_flags(session)
        audit.record(session, actor, "watchlist.remove", "watchlist", item.watchlist_id, summary)


def list_watchlists(session: Session) -> pd.DataFrame:
    """Return the watchlists with their item counts (id, name, description, items)."""
    rows = session.execute(
        select(Watchlist.id, Watchlist.name, Watchlist.description, func.count(WatchlistItem.id))
        .outerjoin(WatchlistItem)
        .group_by(Watchlist.id, Watchlist.name, Watchlist.description)
        .order_by(Watchlist.name)
    ).all()
    return pd.DataFrame(rows, columns=["id", "name", "description", "items"])


def items(session: Session, watchlist_id: int | None = None) -> pd.DataFrame:
    """Return watchlist items (id, watchlist, kind, value, note), of one watchlist or all."""
    stmt = select(WatchlistItem.id, Watchlist.name, WatchlistItem.kind, WatchlistItem.value, WatchlistItem.note).join(
        Watchlist
    )
    if watchlist_id is not None:
        stmt = stmt.where(WatchlistItem.watchlist_id == watchlist_id)
    rows = session.execute(stmt.order_by(Watchlist.name, WatchlistItem.kind, WatchlistItem.value)).all()
    return pd.DataFrame(rows, columns=["id", "watchlist", "kind", "value", "note"])


def watchlisted_values(session: Session) -> dict[str, set[str]]:
    """Return every watchlisted value by kind ('hashtag', 'term', 'domain', 'account'), normalised as stored."""
    values: dict[str, set[str]] = {kind: set() for kind in ITEM_KINDS}
    for kind, value in session.execute(select(WatchlistItem.kind, WatchlistItem.value)):
        values.setdefault(kind, set()).add(value)
    return values


def matches(trend_kind: str, key: str, top_accounts: list[str], values: dict[str, set[str]]) -> bool:
    """Return True when a trend key (or one of its top accounts) is on a watchlist."""
    key = key.casefold()
    if trend_kind == "hashtag" and key in values["hashtag"]:
        return True
    if trend_kind in ("domain", "url"):
        match = _DOMAIN_RE.match(key)
        domain = match.group(1) if match else key
        if any(domain == d or domain.endswith("." + d) for d in values["domain"]):
            return True
    if trend_kind in ("term", "narrative"):
        words = f" {key} "
        if any(f" {term} " in words for term in values["term"]):
            return True
    accounts = {"@" + a.casefold().lstrip("@") for a in top_accounts}
    return bool(accounts & values["account"])


def refresh_flags(session: Session) -> int:
    """Set Trend.watchlisted from the current watchlists (inside the caller's transaction); return how many match."""
    values = watchlisted_values(session)
    flagged = 0
    for trend in session.scalars(select(Trend)):
        accounts = [a for a, _n in json.loads(trend.top_accounts or "[]")]
        hit = matches(trend.kind, trend.key, accounts, values)
        if trend.watchlisted != hit:
            trend.watchlisted = hit
        flagged += hit
    session.flush()
    return flagged
