"""Monitor > Import: upload an export file, check its mapping and bad rows, import it, undo past imports."""

import pandas as pd
import streamlit as st

from planner import auth, ingest, wording
from planner.config import load_settings
from planner.errors import PlannerError
from planner.ui import common

ENCODINGS = ["auto", "utf-8", "utf-16", "latin-1", "cp1252", "cp1251"]
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Dubai", "America/New_York", "Asia/Kolkata"]
NONE = "(none)"
LAST_REPORT = "import_last_report"
PSEUDO_HELP = "Store keyed-hash pseudonyms of author ids and handles; no handle is kept."

actor = common.require_actor()
common.header(
    "Import",
    "Bring in monitored posts from export files (CSV, Twitter JSON, Telegram export). Check the report first; "
    "an import is all or nothing, and every import can be undone from the history below.",
)
zone = common.user_zone()
settings = load_settings()
may_import = auth.can(actor, auth.Action.IMPORT_POSTS)
may_undo = auth.can(actor, auth.Action.UNDO_IMPORT)

total = common.cached(ingest.count_posts)
history = common.cached(ingest.list_batches)

cols = st.columns(3)
cols[0].metric("Monitored posts", f"{total:,}", border=True)
cols[1].metric("Imports", f"{len(history):,}", border=True)
last = common.when(history["created_at"].iloc[0], zone) if len(history) else "never"
cols[2].metric("Last import", last, border=True)


def show_report(report: ingest.ImportReport) -> None:
    """Show a dry-run or import report: counts, time range, mapping, warnings and the bad rows."""
    c = st.columns(4)
    c[0].metric("Rows read", f"{report.rows_read:,}", border=True)
    c[1].metric("Would import" if report.dry_run else "Imported", f"{report.imported:,}", border=True)
    c[2].metric("Duplicates", f"{report.duplicates:,}", border=True)
    c[3].metric("Bad rows", f"{report.rejected:,}", border=True)
    facts = [f"format {report.format}", f"encoding {report.encoding}", f"platform {report.platform}"]
    facts.append(f"naive timestamps read as {report.timezone}")
    if report.first_at and report.last_at:
        facts.append(f"posts from {common.when(report.first_at, zone)} to {common.when(report.last_at, zone)}")
    st.text("; ".join(facts))
    if report.ignored_columns:
        st.text("Ignored columns: " + ", ".join(report.ignored_columns))
    for warning in report.warnings:
        st.warning(common.safe_md(warning))
    if report.rejects:
        frame = pd.DataFrame([{"row": r.row, "field": r.field, "reason": r.reason} for r in report.rejects])
        common.show_table(frame, hide_index=True, width="stretch", key=f"rejects_{report.dry_run}")


st.subheader("Import a file")
finished = st.session_state.pop(LAST_REPORT, None)
if finished is not None:
    st.toast(common.safe_md(finished.summary()))
    st.success(common.safe_md(finished.summary()))
    show_report(finished)
if not may_import:
    st.info(
        f"Your role ({wording.label(actor.role, 'role')}) can read monitored posts but not import them. "
        "Ask a drafter or an admin."
    )
else:
    uploaded = st.file_uploader(
        f"Export file (up to {settings.upload_limit_mb:,} MB)",
        type=["csv", "tsv", "txt", "json", "jsonl", "ndjson"],
        key="import_file",
        max_upload_size=settings.upload_limit_mb,
        help="CSV from a listening tool, Twitter API v1.1 JSON or v2 JSON lines, Telegram Desktop result.json, "
        "or a coordination-network-toolkit CSV. Larger files: use `python -m planner import-posts`.",
    )
    if uploaded is None:
        st.caption("No file chosen yet. Pick one above, or load the demo workspace from Home.")
    else:
        source = ingest.Source.from_bytes(uploaded.name, uploaded.getvalue())
        o = st.columns(5)
        fmt = o[0].selectbox("Format", ingest.FORMAT_CHOICES, key="import_format")
        platform = o[1].text_input("Platform", key="import_platform", placeholder="from the format")
        tz = o[2].selectbox("Time zone of naive times", ZONES, key="import_tz")
        encoding = o[3].selectbox("Encoding", ENCODINGS, key="import_encoding")
        with o[4]:
            pseudonymise = st.toggle("Pseudonymise", key="import_pseudo", help=PSEUDO_HELP)
            skip_bad = st.toggle("Skip bad rows", key="import_skip", help="Import the rest; keep a rejects CSV.")
        options = ingest.ImportOptions(
            format=fmt,
            platform=platform or None,
            timezone=tz,
            encoding=None if encoding == "auto" else encoding,
            skip_bad_rows=skip_bad,
            pseudonymise=pseudonymise,
        )
        detection = common.run(ingest.inspect, source, options)
        if detection is not None:
            st.text(
                f"Detected: {detection.label} ({detection.format}); encoding {detection.encoding}; "
                f"platform {detection.platform}"
            )
            if detection.has_columns:
                with st.expander("Column mapping", expanded=True):
                    st.caption("Which column holds each field. Guessed from the headers; change any that are wrong.")
                    choices = [NONE, *detection.columns]
                    grid = st.columns(4)
                    mapping = {}
                    for i, fld in enumerate(ingest.FIELDS + ingest.EXTRA_FIELDS):
                        guess = detection.mapping.get(fld, NONE)
                        picked = grid[i % 4].selectbox(
                            fld, choices, index=choices.index(guess), key=f"map_{uploaded.name}_{fld}"
                        )
                        mapping[fld] = "" if picked == NONE else picked
                    options.mapping = mapping
            shown = common.run(ingest.preview, source, options)
            if shown is not None:
                rows, bad = shown
                st.caption("Preview: the first rows as they will be stored (text shown as plain text).")
                common.show_table(
                    rows.drop(columns=["quote_of"], errors="ignore"),
                    hide_index=True,
                    width="stretch",
                    key="import_preview",
                    column_config={"created_at": common.time_column("Posted", zone)},
                )
                if bad:
                    st.warning(
                        f"{wording.plural(len(bad), 'bad row')} among the first rows, for example row {bad[0].row:d}: "
                        f"{common.safe_md(bad[0].reason)}"
                    )
            b1, b2 = st.columns(2)
            if b1.button("Check the whole file (dry run)", key="import_dry_run", icon=":material/fact_check:"):
                with common.db_session() as session, st.spinner("Checking every row..."):
                    report = common.run(ingest.import_posts, session, actor, source, options, dry_run=True)
                if report:
                    show_report(report)
            if b2.button("Import", key="import_go", type="primary", icon=":material/upload:"):
                bar = st.progress(0.0, text="Importing...")
                report = None
                with common.db_session() as session:
                    try:
                        report = ingest.import_posts(
                            session,
                            actor,
                            source,
                            options,
                            progress=lambda f, m: bar.progress(min(f, 1.0), text=common.safe_md(m)),
                        )
                    except ingest.ImportRefused as exc:  # say why, and list every bad row
                        st.error(common.safe_md(str(exc)))
                        show_report(exc.report)
                    except PlannerError as exc:
                        st.error(common.safe_md(str(exc)))
                bar.empty()
                if report:  # rerun so the counts and history above include the new batch
                    st.session_state[LAST_REPORT] = report
                    st.rerun()

st.subheader("Import history")
if history.empty:
    st.caption("No imports yet. Import a file above, or load the demo workspace from Home.")
else:
    picked = common.show_table(
        history,
        column_order=[c for c in history.columns if c != "id"],
        hide_index=True,
        width="stretch",
        height=common.fit_height(len(history)),
        key="import_history",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "created_at": common.time_column("Imported", zone),
            **{c: wording.column(c) for c in history.columns if c not in ("id", "created_at")},
        },
    )
    selected = picked.selection.rows if picked is not None else []
    batch_id = int(history.iloc[selected[0]]["id"]) if selected else None
    if batch_id is None:
        st.caption("Select an import to download its rejected rows or undo it.")
    else:
        row = history.iloc[selected[0]]
        st.text(f"{row['filename']}: {wording.plural(int(row['imported']), 'post')} imported")
        if row["rejected"]:
            with common.db_session() as session:
                rejects = ingest.batch_rejects(session, batch_id)
            st.download_button(
                "Download rejected rows (CSV)",
                data=ingest.rejects_csv(rejects),
                file_name=f"batch-{batch_id}-rejects.csv",
                mime="text/csv",
                key="import_rejects_download",
            )
        if may_undo:
            confirm = st.checkbox(
                f"Delete this import and its {wording.plural(int(row['imported']), 'post')}", key="undo_confirm"
            )
            if st.button("Undo this import", key="import_undo", disabled=not confirm, icon=":material/undo:"):
                with common.db_session() as session:
                    deleted = common.run(ingest.undo_batch, session, actor, batch_id)
                if deleted is not None:
                    st.toast(f"Undone: {wording.plural(deleted, 'post')} deleted")
                    st.rerun()
        else:
            st.caption("Reviewers and admins can undo an import.")
