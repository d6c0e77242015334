"""Plan > Brief: choose a campaign and sections, edit the executive summary, preview, download PDF/Word/HTML/Markdown.

The preview uses Streamlit's own elements (st.text, st.dataframe, st.image): untrusted text never reaches a
Markdown or HTML renderer here. The downloads build the file only when clicked (st.download_button with a callable).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner import auth, briefs, campaigns
from planner.ui import common

actor = common.require_actor()
common.header(
    "Brief",
    "Turn a campaign into a document for leadership and partners. Pick the campaign and the sections, check the "
    "preview, then download it as PDF, Word, HTML or Markdown.",
)
with common.db_session() as session:
    frame = campaigns.list_campaigns(session)
if frame.empty:
    st.info("No campaigns yet. Plan one on the Campaigns page, or load the demo workspace from Home.")
    st.stop()

names = dict(zip(frame["id"].astype(int), frame["name"], strict=True))
titles = {name: sec.title for name, sec in briefs.SECTIONS.items()}
f1, _ = st.columns([1, 2])
# The campaign sits in the URL (?campaign=ID), so a brief page can be shared or opened from the Campaigns page.
wanted = st.query_params.get("campaign", "")
ids = list(names)
campaign_id = f1.selectbox(
    "Campaign",
    ids,
    index=ids.index(int(wanted)) if wanted.isdigit() and int(wanted) in names else 0,
    format_func=names.get,
    key="brief_campaign",
)
st.query_params["campaign"] = str(campaign_id)
# Full width: the eleven section names wrap onto a second line instead of scrolling out of sight in a column.
chosen = st.pills(
    "Sections",
    list(briefs.SECTIONS),
    selection_mode="multi",
    default=list(titles),
    format_func=lambda s: briefs.SECTIONS[s].title,
    key="brief_sections",
)
sections = tuple(s for s in titles if s in (chosen or []))

with common.db_session() as session:
    stored = briefs.get_settings(session, campaign_id)
    row = frame[frame["id"] == campaign_id].iloc[0]
    me = auth.get_user(session, actor.username)
# The brief names its author: the one saved for this campaign, else the signed-in planner.
my_name = me.display_name or actor.username
label, author, summary = stored.handling_label, stored.author or my_name, stored.executive_summary

cols = st.columns(4)
cols[0].metric("Sections", f"{len(sections)} of {len(titles)}", border=True)
cols[1].metric("Drafts", int(row["drafts"]), border=True)
cols[2].metric("Trends answered", int(row["trends"]), border=True)
cols[3].metric("Handling label", label or "none", border=True)

can_edit = auth.can(actor, auth.Action.EDIT_CAMPAIGNS)
with st.expander("Executive summary, handling label and author", expanded=can_edit and not summary):
    if not can_edit:
        st.caption("Your role can read and export briefs; a drafter or reviewer writes the summary.")
    with st.form(f"brief_settings_{campaign_id}"):
        new_summary = st.text_area(
            "Executive summary (your own words; the brief adds the key facts)",
            summary,
            height=180,
            key=f"brief_summary_{campaign_id}",
            disabled=not can_edit,
        )
        s1, s2 = st.columns(2)
        new_label = s1.text_input(
            "Handling label", label, key=f"brief_label_{campaign_id}", help="e.g. OFFICIAL-SENSITIVE; on every page"
        )
        new_author = s2.text_input("Author", author, key=f"brief_author_{campaign_id}")
        if st.form_submit_button("Save", disabled=not can_edit):
            with common.db_session() as session:
                saved = common.run(
                    briefs.save_settings,
                    session,
                    actor,
                    campaign_id,
                    executive_summary=new_summary,
                    handling_label=new_label,
                    author=new_author,
                    success="Brief settings saved",
                )
            if saved is not None:
                st.rerun()

if not sections:
    st.warning("Choose at least one section above.")
    st.stop()

options = briefs.BriefOptions(sections=sections, author=author)
ws = common.workspace()


def _builder(fmt: str):
    """Return a callable that builds the file when its download button is clicked (on Streamlit's own thread)."""

    def build() -> bytes:
        with ws.session() as session:
            return briefs.export(session, actor, campaign_id, fmt, options)

    return build


st.subheader("Download")
buttons = st.columns(len(briefs.FORMATS))
for col, fmt in zip(buttons, briefs.FORMATS.values(), strict=True):
    col.download_button(
        common.safe_md(fmt.label),
        data=_builder(fmt.name),
        file_name=briefs.file_name(names[campaign_id], fmt.name),
        mime=fmt.mime,
        key=f"brief_download_{fmt.name}",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )

st.subheader("Preview")
if not st.toggle("Show the preview (charts take a moment)", value=True, key="brief_preview"):
    st.stop()
context = common.run(common.cached, briefs.preview, campaign_id, options)  # drawn once per workspace change
if context is None:
    st.stop()
with st.container(border=True):
    if context["label"]:
        st.text(context["label"])
    st.text(f"{context['title']}\n{context['date']} · {context['author']}")
    for sec in context["sections"]:
        st.header(common.safe_md(sec["title"]), divider="gray")
        for block in sec["blocks"]:
            if block.kind in ("paragraph", "subheading", "note"):
                st.text(("▶ " if block.kind == "subheading" else "⚠ " if block.kind == "note" else "") + block.text)
            elif block.kind == "facts":
                common.show_table(
                    pd.DataFrame(block.items, columns=["Item", "Value"]), hide_index=True, width="stretch"
                )
            elif block.kind == "table":
                st.text(block.caption)
                common.show_table(
                    pd.DataFrame(block.rows, columns=pd.Index(block.columns).astype(str)),
                    hide_index=True,
                    width="stretch",
                )
            elif block.kind == "chart":
                st.image(block.png, width="stretch")
                st.text(block.caption)
