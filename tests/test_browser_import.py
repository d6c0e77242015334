"""The import journey in real Chromium: upload a PHEME sample, dry run, refusal, import skipping bad rows, re-import."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from planner import auth
from planner.db import open_workspace
from planner.models import ImportBatch, Post
from tests.browser import browser_page, running_app, screenshot
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
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Import").click()
        expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
        expect(page.get_by_text("Detected: CSV")).to_be_visible()

        page.get_by_role("button", name="Check the whole file (dry run)").click()
        expect(page.get_by_text("created_at: 'not a date' is not a plausible date and time").first).to_be_visible()
        screenshot(page, "import_01_dry_run")

        # All or nothing: with one bad row the import is refused and nothing is stored.
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("pheme_sample.csv: refused, nothing imported").first).to_be_visible()
        expect(page.get_by_text("No imports yet.")).to_be_visible()

        page.get_by_text("Skip bad rows", exact=True).click()
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("pheme_sample.csv: imported 119, duplicates 0, rejected 1").first).to_be_visible()
        screenshot(page, "import_02_imported")

        page.get_by_role("button", name="Import", exact=True).click()  # the same file again adds nothing
        expect(page.get_by_text("pheme_sample.csv: imported 0, duplicates 119, rejected 1").first).to_be_visible()

    ws = open_workspace(data_dir_url(data))
    with ws.session() as session:
        assert session.scalar(select(func.count(Post.id))) == 119
        assert session.scalar(select(func.count(ImportBatch.id))) == 2
    ws.dispose()
