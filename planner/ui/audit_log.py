"""Admin > Audit log: every change of state, filterable; nothing here edits or deletes it."""

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from planner import audit, auth
from planner.ui import common

PAGE_SIZE = 200

actor = common.require_actor()
common.header("Audit log", "Who changed what and when. The log is append-only: the database refuses edits.")
if not auth.can(actor, auth.Action.VIEW_AUDIT):
    st.error("Only admins read the audit log.")
    st.stop()
zone = common.user_zone()

with common.db_session() as session:
    facets = audit.facets(session)
c1, c2, c3, c4 = st.columns(4)
who = c1.selectbox("User", ["(all)"] + facets["actors"], key="audit_actor")
family = c2.selectbox("Action", ["(all)"] + facets["action_families"], key="audit_action")
kind = c3.selectbox("Object", ["(all)"] + facets["object_types"], key="audit_object")
today = datetime.now(zone).date()
span = c4.date_input("Dates", value=(today - timedelta(days=30), today), key="audit_dates")

since = until = None
if isinstance(span, tuple) and len(span) == 2:
    since = datetime.combine(span[0], time.min, tzinfo=zone).astimezone(UTC)
    until = datetime.combine(span[1] + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
flt = audit.AuditFilter(
    actor_name=None if who == "(all)" else who,
    action_prefix=None if family == "(all)" else family + ".",
    object_type=None if kind == "(all)" else kind,
    since=since,
    until=until,
)
with common.db_session() as session:
    total = audit.count(session, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input("Page", min_value=1, max_value=pages, value=1, key="audit_page") if pages > 1 else 1
    frame = audit.entries(session, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)

st.metric("Matching entries", f"{total:,}", border=True)
if frame.empty:
    st.info("No audit entries match these filters.")
else:
    frame["at"] = common.local_times(frame["at"], zone)
    st.dataframe(
        frame.drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        column_config={"at": st.column_config.DatetimeColumn(f"When ({zone.key})", format="YYYY-MM-DD HH:mm:ss")},
    )
