"""The import journey in real Chromium: upload a PHEME sample, dry run, refusal, import skipping bad rows, re-import."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from planner import auth
from planner.db import open_workspace
from planner.models import ImportBatch, Post
from tests.browser import act, browser_page, running_app, screenshot, watch_script_state
from tests.conftest import FIXTURES, PASSWORD, data_dir_url

pytestmark = pytest.mark.browser


def test_upload_dry_run_refusal_import_and_reimport(tmp_path):
    sample = pd.read_csv(FIXTURES / "pheme" / "pheme_source_tweets.csv", dtype=str).sample(120, random_state=3)
    sample.loc[sample.index[5], "created_at_utc"] = "not a date"  # one bad row, named in the report
    upload = tmp_path / "pheme_sample.csv"
    sample.to_csv(upload, index=False)
    data = tmp_path / "data"
    ws = open_workspace(data_dir_url(data))
    with ws.session() as session:
        auth.create_first_admin(session, "ada", PASSWORD)
    ws.dispose()

    with running_app(data) as url, browser_page() as page:
        watch_script_state(page)  # every click below waits until the app has settled (act)
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))
        act(page, page.get_by_role("link", name="Import"), page.get_by_role("heading", name="Import", exact=True))
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
        expect(page.get_by_text("Detected: CSV")).to_be_visible()

        act(
            page,
            page.get_by_role("button", name="Check the whole file (dry run)"),
            page.get_by_text("created_at: 'not a date' is not a plausible date and time").first,
        )
        screenshot(page, "import_01_dry_run")

        # All or nothing: with one bad row the import is refused and nothing is stored.
        import_button = page.get_by_role("button", name="Import", exact=True)
        act(page, import_button, page.get_by_text("pheme_sample.csv: refused, nothing imported").first)
        expect(page.get_by_text("No imports yet.")).to_be_visible()

        page.get_by_text("Skip bad rows", exact=True).click()
        act(page, import_button, page.get_by_text("pheme_sample.csv: imported 119, duplicates 0, rejected 1").first)
        screenshot(page, "import_02_imported")

        # The same file again adds nothing.
        act(page, import_button, page.get_by_text("pheme_sample.csv: imported 0, duplicates 119, rejected 1").first)

    ws = open_workspace(data_dir_url(data))
    with ws.session() as session:
        assert session.scalar(select(func.count(Post.id))) == 119
        assert session.scalar(select(func.count(ImportBatch.id))) == 2
    ws.dispose()
