"""Helpers for browser tests: start `streamlit run server.py` on a free port and drive Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, workspace_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "screenshots"
# Installed in every document: a MutationObserver notes (browser clock) each change of Streamlit's script state.
WATCH_JS = """(() => {
  window.__cpState = null;
  window.__cpSince = performance.now();
  const note = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state !== window.__cpState) { window.__cpState = state; window.__cpSince = performance.now(); }
  };
  new MutationObserver(note).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state'],
  });
})();"""
# Resolves once the script has stayed finished for `settle` ms; returns (browser clock) when it finished. A
# st.rerun() leaves a short finished gap between two runs, and a click takes a moment to start a run: waiting for
# one "notRunning" glimpse raced them under CPU load (a click landed mid-rerun and was lost).
SETTLED_JS = """settle => {
  const busy = document.querySelector('[data-testid^="stStatusWidgetRunning"]');
  const now = performance.now();
  return window.__cpState === 'notRunning' && !busy && now - window.__cpSince >= settle ? window.__cpSince : false;
}"""
SETTLE_MS = 700


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(proc: subprocess.Popen, url: str, timeout: float = 60, poll: float = 0.3) -> None:
    """Wait until the app served by `proc` at `url` answers its health check; raise if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"streamlit did not start: {out[-2000:]}")
        time.sleep(poll)


@contextmanager
def running_app(data_dir: Path, extra_env: dict[str, str] | None = None, script: str = "server.py"):
    """Serve the app as people run it (server.py: st.App with its routes and security headers) from a data folder;
    yield its base URL."""
    port = _free_port()
    env = {**os.environ, **workspace_env(data_dir), **(extra_env or {})}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(proc, url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def browser_page():
    """Yield a Playwright page in headless Debian Chromium (skip when absent; fail in CI)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    # The first page load imports the whole app (pandas, scikit-learn, plotly): allow for a slow, shared CI machine.
    expect.set_options(timeout=30_000)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_script_state(page) -> None:
    """Make every document of `page` note when Streamlit's script starts and finishes (for settled and act)."""
    page.add_init_script(WATCH_JS)


def settled(page, timeout: float = 120_000) -> float:
    """Wait until the app's script has finished and stayed finished; return when it finished (browser ms)."""
    handle = page.wait_for_function(SETTLED_JS, arg=SETTLE_MS, timeout=timeout, polling=50)
    return float(handle.json_value())


def act(page, locator, result, *, timeout: float = 90_000, attached: bool = False) -> None:
    """Click `locator` once the app has settled, then wait for `result` (visible, or only attached).

    Under heavy load a click can be swallowed while the page redraws: a click that started no run at all is clicked
    again (up to three times), so nothing runs twice.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    for _ in range(3):
        settled(page)
        mark = page.evaluate("window.__cpSince")
        locator.click()
        try:
            page.wait_for_function("m => window.__cpSince !== m", arg=mark, timeout=15_000, polling=50)
            break
        except PlaywrightTimeout:
            if result.count():
                break
    if attached:
        expect(result).to_be_attached(timeout=timeout)
    else:
        expect(result).to_be_visible(timeout=timeout)
    settled(page)
