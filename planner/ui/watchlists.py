"""Watchlists: known propaganda hashtags, terms, domains and accounts; matching trends are flagged (and filterable)."""

import streamlit as st

from planner import auth, watchlists, wording
from planner.ui import common

actor = common.require_actor()
common.header(
    "Watchlists",
    "Known propaganda hashtags, terms, domains and accounts. Trends that match are flagged; drafts are checked too.",
)
can_edit = auth.can(actor, auth.Action.EDIT_WATCHLISTS)

with common.db_session() as session:
    lists = watchlists.list_watchlists(session)
    entries = watchlists.items(session)

cols = st.columns(2)
cols[0].metric("Watchlists", f"{len(lists):,}", border=True)
cols[1].metric("Entries", f"{len(entries):,}", border=True)

if can_edit:
    left, right = st.columns(2)
    with left, st.form("watchlist_create", clear_on_submit=True):
        st.markdown("**New watchlist**")
        name = st.text_input("Name", key="wl_name")
        description = st.text_input("Description", key="wl_description")
        if st.form_submit_button("Create watchlist", icon=":material/add:"):
            with common.db_session() as session:
                if common.run(watchlists.create_watchlist, session, actor, name, description, success="Created"):
                    st.rerun()
    with right, st.form("watchlist_add", clear_on_submit=True):
        st.markdown("**Add an entry**")
        target = st.selectbox("Watchlist", lists["name"].tolist(), index=0, placeholder="Create one first")
        kind = st.selectbox("Kind", list(watchlists.ITEM_KINDS), key="wl_kind")
        value = st.text_input("Value", key="wl_value", placeholder="#hashtag, domain.tld, @account or a phrase")
        note = st.text_input("Note", key="wl_note")
        if st.form_submit_button("Add entry", icon=":material/playlist_add:"):
            if target is None:
                st.error("Watchlist: create a watchlist first.")
            else:
                wl_id = int(lists.loc[lists["name"] == target, "id"].iloc[0])
                with common.db_session() as session:
                    if common.run(watchlists.add_item, session, actor, wl_id, kind, value, note, success="Added"):
                        st.rerun()

if entries.empty:
    st.info("No watchlist entries yet. Create a watchlist and add the adversary's hashtags and domains.")
    st.stop()

event = common.show_table(
    entries,
    column_order=[c for c in entries.columns if c != "id"],
    column_config={c: wording.column(c) for c in entries.columns if c != "id"},
    hide_index=True,
    width="stretch",
    height=common.fit_height(len(entries)),
    on_select="rerun" if can_edit else "ignore",
    selection_mode="single-row",
    key="watchlist_table",
)
rows = event.selection.rows if can_edit and event and event.selection else []
if rows:
    chosen = entries.iloc[rows[0]]
    if st.button(
        f"Remove {wording.label(chosen['kind'])} {common.safe_md(chosen['value'])}",
        key="wl_remove",
        icon=":material/delete:",
    ):
        with common.db_session() as session:
            if common.run(watchlists.remove_item, session, actor, int(chosen["id"]), success="Removed") is None:
                st.rerun()
