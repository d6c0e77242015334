"""Every page in real Chromium on the demo workspace: it renders without an exception; screenshots for review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, running_app, screenshot
from tests.conftest import PASSWORD, copy_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_template):
    data = tmp_path_factory.mktemp("demo") / "data"
    copy_demo(demo_template, data)
    return data


def test_every_page_renders_on_the_demo(demo_dir):
    with running_app(demo_dir) as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Home")).to_be_visible()
        links = page.locator('[data-testid="stSidebarNav"] a')
        titles = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
        assert "Home" in titles and len(titles) >= 4
        for i, title in enumerate(titles):
            page.locator('[data-testid="stSidebarNav"] a').nth(i).click()
            expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {title}"
            screenshot(page, f"page_{i:02d}_{title.lower().replace(' ', '_')}")
