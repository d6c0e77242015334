"""Hostile content stays inert in real Chromium: no request leaves the app's own host, no injected element appears.

A CSV whose handles, hashtags, URLs, file name and cells carry markdown images, links, `javascript:` links, raw HTML,
shortcodes and bidi overrides is imported through the page; trends and coordination are detected; every page and
the trend and account drill-downs are opened. Any request to another host (an analyst's browser fetching a tracking
pixel) fails the test, and so does any <img>, <a href> or element the content tried to inject.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from planner import auth
from planner.db import open_workspace
from tests.browser import act, browser_page, running_app, screenshot, settled, watch_script_state
from tests.conftest import PASSWORD, data_dir_url

pytestmark = pytest.mark.browser

EVIL = "evil.example"
HANDLES = [  # every handle carries a markdown image, and one more trick each
    "![h](http://evil.example/pixel{i}.png)",
    "<img src=http://evil.example/a{i}.png>![h](http://evil.example/b{i}.png)",
    "[h{i}](javascript:alert(1))![h](http://evil.example/c{i}.png)",
    "[h{i}](http://evil.example/l{i})![h](http://evil.example/d{i}.png)",
    ":red[h{i}]:material/home:![h](http://evil.example/e{i}.png)",
    "g\u202e{i}txt.exe![h](http://evil.example/f{i}.png)",
]
BURST_TEXT = "#evilmarch join us ![x](http://evil.example/t.png) <img src=http://evil.example/t2.png> :red[boo] $x$"
LINK_TEXT = "read this [go](javascript:alert(1)) http://evil.example/track![p](http://evil.example/p.png)"
FILE_NAME = "![f](https:evil.example) [l](javascript:alert(1)) <img src=https:evil.example>.csv"
BAD_DATE = "![d](http://evil.example/d.png)"
START = pd.Timestamp("2026-11-01T00:00Z")


def _hostile_csv() -> bytes:
    """Quiet background chatter for four days, then a two-hour burst by accounts with hostile handles."""
    rng = np.random.default_rng(5)
    rows = [["bad1", "someone", BAD_DATE, "a row with a hostile date"]]  # first, so the preview shows it
    for i in range(1200):
        at = START + pd.Timedelta(seconds=float(rng.uniform(0, 4 * 86400)))
        text = ["the bus is late again #daily", "rain over the valley hills", "market opens at noon"][i % 3]
        rows.append([f"q{i}", f"quiet{i % 300}", at.isoformat(), text])
    for i in range(240):  # a hashtag burst on day 4 and a link burst on day 3, by different hostile accounts
        handle = HANDLES[i % len(HANDLES)].format(i=i % 60)
        at = START + pd.Timedelta(days=3, hours=18, seconds=i * 30)
        rows.append([f"b{i}", handle, at.isoformat(), BURST_TEXT])
        at = START + pd.Timedelta(days=2, hours=12, seconds=i * 30)
        rows.append([f"l{i}", handle.replace("h", "k", 1), at.isoformat(), LINK_TEXT])
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "username", "date", "text"])
    writer.writerows(rows)
    return buf.getvalue().encode()


def _read(locator) -> str:
    """The text a person reads (without the invisible word joiners that keep it from becoming links)."""
    return locator.first.inner_text().replace("\u2060", "").strip()


def _login(page, url: str) -> None:
    watch_script_state(page)
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill("ada")
    page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
    act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))


def _settle(page) -> None:
    """Wait until the script has finished and stayed finished (a click then starts its own run), and has painted."""
    settled(page)
    page.wait_for_timeout(300)


def _click_first_row(page, grid) -> None:
    """Tick the first row of a selectable dataframe (a canvas: click where the row's checkbox is)."""
    _settle(page)
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)
    _settle(page)


def _assert_inert(page, where: str) -> None:
    """No element the hostile content asked for: images or links to other hosts, javascript: links, raw HTML."""
    injected = page.evaluate(
        """() => [...document.querySelectorAll('img[src], a[href], iframe, object, embed, script[src]')]
            .filter(e => {
                const target = e.getAttribute('src') || e.getAttribute('href') || '';
                if (target.startsWith('#')) return false;  // Streamlit's own heading anchors
                return target.includes('evil') || /^javascript:/i.test(target)
                    || (/^(https?:)?\\/\\//i.test(target) && new URL(target, location.href).host !== location.host);
            })
            .map(e => e.outerHTML.slice(0, 200))"""
    )
    assert not injected, f"{where}: injected elements {injected}"
    assert page.locator('[data-testid="stException"]').count() == 0, f"{where}: exception"


def test_hostile_content_stays_inert_on_every_page(tmp_path):
    data = tmp_path / "data"
    ws = open_workspace(data_dir_url(data))
    with ws.session() as session:
        auth.create_first_admin(session, "ada", PASSWORD)
    ws.dispose()

    with running_app(data) as url, browser_page() as page:
        own = urlsplit(url).netloc
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).netloc != own else None)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        _login(page, url)

        # Import: the preview names the bad cell, the file name shows in the result.
        page.get_by_role("link", name="Import").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": FILE_NAME, "mimeType": "text/csv", "buffer": _hostile_csv()}
        )
        expect(page.get_by_text("Detected: CSV")).to_be_visible()
        bad_cell = page.get_by_role("alert").filter(has_text="is not a plausible date")
        expect(bad_cell).to_be_visible()
        assert f"created_at: '{BAD_DATE}'" in _read(bad_cell)  # shown as typed
        _assert_inert(page, "import preview")
        _settle(page)
        page.get_by_text("Skip bad rows", exact=True).click()
        done = page.get_by_text("imported 1,680, duplicates 0").first
        act(page, page.get_by_role("button", name="Import", exact=True), done)
        assert _read(done).startswith(f"{FILE_NAME}: imported 1,680")
        _settle(page)
        _assert_inert(page, "import result")

        # Trends: detect, then open the link trend whose key carries the markdown image.
        act(page, page.get_by_role("link", name="Trends"), page.get_by_role("heading", name="Trends", exact=True))
        page.get_by_test_id("stExpander").get_by_text("Run detection").click()  # opens in the browser, no rerun
        act(page, page.get_by_role("button", name="Detect trends"), page.get_by_text("Trends shown"))
        link_kind = page.get_by_role("toolbar", name="Kind").get_by_role("button", name="Link", exact=True)
        act(page, link_kind, page.get_by_text("Trends shown"))
        _click_first_row(page, page.locator('[data-testid="stDataFrame"]').first)
        heading = page.get_by_role("heading", name="(link)")
        expect(heading).to_be_visible()
        assert _read(heading).startswith(f"https://{EVIL}/track![p](http://{EVIL}/p.png)")  # as typed, no image
        _assert_inert(page, "trend detail")
        screenshot(page, "trust_trend_detail")

        # Networks: detect coordination, open the first cluster and its first account.
        act(page, page.get_by_role("link", name="Networks"), page.get_by_role("button", name="Detect coordination"))
        act(
            page,
            page.get_by_role("button", name="Detect coordination"),
            page.get_by_role("heading", name="Coordinated clusters"),
        )
        _click_first_row(page, page.locator('[data-testid="stDataFrame"]').first)
        _click_first_row(page, page.locator('[data-testid="stDataFrame"]').nth(1))
        expect(page.get_by_role("heading", name="over time")).to_be_visible()
        _assert_inert(page, "account drill-down")
        screenshot(page, "trust_account_drill_down")

        # Every other page, as a person would open it from the sidebar.
        nav = page.locator('[data-testid="stSidebarNav"]')
        if nav.get_by_text("View", exact=False).count():
            nav.get_by_text("View", exact=False).first.click()
        titles = [t.strip().splitlines()[-1] for t in nav.locator("a").all_inner_texts()]
        assert {"Home", "Import", "Networks", "Calendar", "Results", "Users", "Audit log"} <= set(titles), titles
        for title in titles:
            heading = page.get_by_role("heading", name=title, exact=True).first
            act(page, nav.locator("a").filter(has_text=title).first, heading)
            _assert_inert(page, title)

    assert not outside, f"requests left the app's host: {sorted(set(outside))[:10]}"
    assert not violations, f"the Content-Security-Policy blocked something the app needs: {violations[:3]}"
