"""Admin > Audit log: every change of state, filterable; nothing here edits or deletes it."""

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from planner import audit, auth, wording
from planner.ui import common

PAGE_SIZE = 200
# Rows the table shows before it scrolls: about a screen's height.
PAGE_ROWS_SHOWN = 22

actor = common.require_actor()
common.header("Audit log", "Who changed what and when. The log is append-only: the database refuses edits.")
if not auth.can(actor, auth.Action.VIEW_AUDIT):
    st.error("Only admins read the audit log.")
    st.stop()
zone = common.user_zone()

with common.db_session() as session:
    facets = audit.facets(session)
c1, c2, c3, c4 = st.columns(4)
who = c1.selectbox("Who", ["(everyone)"] + facets["actors"], key="audit_actor")
family = c2.selectbox(
    "What", ["(everything)"] + facets["action_families"], format_func=wording.humanise, key="audit_action"
)
kind = c3.selectbox("About", ["(anything)"] + facets["object_types"], format_func=wording.humanise, key="audit_object")
today = datetime.now(zone).date()
span = c4.date_input("Dates", value=(today - timedelta(days=30), today), key="audit_dates")

since = until = None
if isinstance(span, tuple) and len(span) == 2:
    since = datetime.combine(span[0], time.min, tzinfo=zone).astimezone(UTC)
    until = datetime.combine(span[1] + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
flt = audit.AuditFilter(
    actor_name=None if who == "(everyone)" else who,
    action_prefix=None if family == "(everything)" else family + ".",
    object_type=None if kind == "(anything)" else kind,
    since=since,
    until=until,
)
with common.db_session() as session:
    total = audit.count(session, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input("Page", min_value=1, max_value=pages, value=1, key="audit_page") if pages > 1 else 1
    frame = audit.readable(session, audit.entries(session, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))

st.metric("Matching entries", f"{total:,}", border=True)
if frame.empty:
    st.info("No audit entries match these filters. Widen the dates or clear a filter.")
else:
    common.show_table(
        frame,
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(frame), most=PAGE_ROWS_SHOWN),
        column_config={
            "at": common.time_column("When", zone, width=170),
            "actor": st.column_config.TextColumn("Who", width=90),
            "what": st.column_config.TextColumn("What happened", width=420),
            "details": st.column_config.TextColumn(
                "Details", width=420, help="As recorded, with content hashes for approvals"
            ),
        },
    )
