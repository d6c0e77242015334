"""Every page in real Chromium on the demo workspace: it renders without an exception; screenshots for review."""

from __future__ import annotations

import pytest

from tests.browser import act, browser_page, running_app, screenshot, watch_script_state
from tests.conftest import PASSWORD, copy_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_template):
    data = tmp_path_factory.mktemp("demo") / "data"
    copy_demo(demo_template, data)
    return data


def test_every_page_renders_on_the_demo(demo_dir):
    with running_app(demo_dir) as url, browser_page() as page:
        watch_script_state(page)  # every click below waits until the app has settled (act)
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))
        links = page.locator('[data-testid="stSidebarNav"] a')
        titles = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
        assert "Home" in titles and len(titles) >= 4
        for i, title in enumerate(titles):
            link = page.locator('[data-testid="stSidebarNav"] a').nth(i)
            heading = page.get_by_role("heading", name=title).first
            if i or title != "Home":  # Home is open already: clicking it starts no run
                act(page, link, heading, timeout=60_000)
            page.wait_for_timeout(1500)
            assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {title}"
            screenshot(page, f"page_{i:02d}_{title.lower().replace(' ', '_')}")
