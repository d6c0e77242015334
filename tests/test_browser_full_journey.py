"""The whole journey in real Chromium, as three people: analyst, drafter, reviewer/planner; page render times.

analyst (admin) imports posts, detects trends and marks one "respond"; the drafter plans a campaign and writes an
answer that repeats the adversary's hashtag; the reviewer acknowledges the amplification warning and approves,
auto-schedules, pauses, resumes and marks the post published; the drafter imports its figures; the planner downloads
the brief as PDF and Word. Every page visited is screenshotted (tests/.artifacts/journey, git-ignored;
PLANNER_SCREENSHOT_DIR overrides), and the time each page takes to render in the browser after a sidebar click is
printed as a table. Every click waits until the app has settled, so a click never lands inside another rerun.
"""

from __future__ import annotations

import io
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from planner import auth, channels
from planner.db import open_workspace
from planner.models import ScheduleEntry
from tests.browser import act, browser_page, running_app, settled, watch_script_state
from tests.conftest import PASSWORD, ROOT, data_dir_url

pytestmark = pytest.mark.browser

TAG = "#brasslanternwakes"  # the fictional adversary hashtag that bursts
BACKGROUND = ["#riverfair", "#valleybikes", "#townlibrary", "#marketday", "#rainagain", "#busroute9"]
CAMPAIGN = "Lanterns for everyone"
POST_URL = "https://x.com/valleyvoices/status/1790000000000000001"
ARTIFACTS = ROOT / "tests" / ".artifacts" / "journey"
RENDER_BOUND_S = 10.0  # generous: the target is 2 s; asserted only on a machine that is not overloaded


def _posts_csv(path: Path, now: datetime) -> None:
    """Three days of fictional background chatter, then a brand-new hashtag bursting in the last two hours."""
    rng = random.Random(15)
    lines = ["post_id,created_at,author_id,author_handle,text"]
    start = now - timedelta(hours=72)
    for i in range(216):
        at = start + timedelta(minutes=20 * i, seconds=rng.randint(0, 600))
        a = rng.randint(1, 60)
        tag = rng.choice(BACKGROUND)
        lines.append(f"bg{i},{at:%Y-%m-%dT%H:%M:%SZ},u{a},resident{a},Quiet day in the valley {tag} see you there")
    for i in range(90):
        at = now - timedelta(minutes=110) + timedelta(minutes=i, seconds=rng.randint(0, 50))
        a = rng.randint(100, 160)
        lines.append(
            f"burst{i},{at:%Y-%m-%dT%H:%M:%SZ},u{a},lanternfan{a},They hide the truth about the lanterns {TAG} share"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _is_overloaded() -> bool:
    """True when the load average says the shared machine is busy (then render times are printed, not asserted)."""
    try:
        return os.getloadavg()[0] > (os.cpu_count() or 1) * 1.5
    except OSError:
        return True


FULL_HEIGHT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
  return Math.ceil(main.scrollHeight + 40);
}"""


class Journey:
    """The page, where screenshots go, and the render time of every page visit (browser clock)."""

    def __init__(self, page, shots: Path):
        watch_script_state(page)
        self.page = page
        self.shots = shots
        self.times: list[tuple[str, str, float, bool]] = []  # (who, page, seconds, first visit in this session)
        self.seen: set[str] = set()
        self.n = 0
        self.who = ""

    def idle(self, timeout: float = 120_000) -> float:
        """Wait until Streamlit's script has finished and stayed finished; return when (browser ms) it finished."""
        return settled(self.page, timeout)

    def click(self, locator) -> None:
        """Click once the app is idle, so the click starts its own run instead of landing inside another."""
        self.idle()
        locator.click()

    def act(self, locator, result, timeout: float = 90_000, attached: bool = False) -> None:
        """Click `locator` once the app is idle and wait for `result` (see tests.browser.act)."""
        act(self.page, locator, result, timeout=timeout, attached=attached)

    def shot(self, name: str, wait: bool = True) -> Path:
        if wait:
            self.idle()
            self.page.wait_for_timeout(300)  # let the grid canvases paint
        self.n += 1
        path = self.shots / f"{self.n:02d}_{name}.png"
        # The page scrolls inside Streamlit's main block, not the document: grow the window to show all of it.
        size = self.page.viewport_size
        tall = self.page.evaluate(FULL_HEIGHT_JS)
        if tall > size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": min(tall, 6000)})
            self.page.wait_for_timeout(300)
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path

    def login(self, username: str) -> None:
        page = self.page
        expect(page.get_by_role("heading", name="Log in to Counterpoint")).to_be_visible()
        self.idle()
        page.get_by_role("textbox", name="Username").fill(username)
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Home")).to_be_visible(timeout=60_000)
        self.idle()
        self.who = username
        self.seen = {"Home"}

    def logout(self) -> None:
        self.click(self.page.get_by_role("button", name="Log out"))
        expect(self.page.get_by_role("heading", name="Log in to Counterpoint")).to_be_visible()

    def visit(self, title: str, content: str) -> None:
        """Click `title` in the sidebar; time it (browser clock) until the heading and `content` show and it is idle."""
        page = self.page
        heading = page.get_by_role("heading", name=title, exact=True).first
        link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
        for attempt in range(3):  # a navigation lost in a rerun is clicked again (it is idempotent)
            self.idle()
            t0 = page.evaluate("performance.now()")
            link.click()
            try:
                expect(heading).to_be_visible(timeout=30_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        expect(page.get_by_text(content).first).to_be_visible(timeout=60_000)
        elapsed = (self.idle() - t0) / 1000
        self.times.append((self.who, title, elapsed, title not in self.seen))
        self.seen.add(title)
        self.shot(f"{self.who}_{title.lower().replace(' ', '_')}")
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, f"exception on {title}: {errors.first.inner_text()[:2000]}"

    def table(self) -> str:
        rows = [f"{'user':<8} {'page':<12} {'seconds':>8}  visit"]
        rows += [f"{w:<8} {p:<12} {s:8.2f}  {'first' if f else 'again'}" for w, p, s, f in self.times]
        return "\n".join(rows)


def _click_first_row(page, testid_index: int = 0) -> None:
    """Tick the first row of a selectable dataframe (a canvas: click where the row's checkbox is)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(testid_index)
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)


def _pick(page, container, label: str, option: str, multi: bool = True) -> None:
    """Choose `option` in the multiselect (or, not `multi`, the selectbox) labelled `label` inside `container`."""
    wanted = page.get_by_role("option").filter(has_text=option).first
    for _ in range(3):  # a click can land while a rerun redraws the widget: open it again until the list shows
        container.get_by_label(label, exact=True).click()
        try:
            wanted.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    wanted.click()
    if multi:  # a multiselect stays open for more choices
        page.keyboard.press("Escape")


@pytest.fixture
def shots_dir() -> Path:
    """tests/.artifacts/journey (git-ignored), emptied first; PLANNER_SCREENSHOT_DIR overrides it."""
    folder = Path(os.environ.get("PLANNER_SCREENSHOT_DIR") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def test_full_journey_three_roles(tmp_path, shots_dir):
    from docx import Document
    from pypdf import PdfReader

    now = datetime.now(UTC)
    posts = tmp_path / "valley_posts.csv"
    _posts_csv(posts, now)
    data = tmp_path / "data"
    ws = open_workspace(data_dir_url(data))
    with ws.session() as s:
        ada = auth.create_first_admin(s, "ada", PASSWORD, "Ada (analyst)")
        admin = auth.actor_for(ada)
        auth.create_user(s, admin, "dora", PASSWORD, "drafter", "Dora (drafter)")
        auth.create_user(s, admin, "rui", PASSWORD, "reviewer", "Rui (reviewer)")
        channels.create_channel(s, admin, "x", "@valleyvoices", "https://x.com/valleyvoices")
    ws.dispose()

    with running_app(data, script="server.py") as url, browser_page() as page:
        j = Journey(page, shots_dir)
        try:
            page.goto(url)
            j.login("ada")
            j.shot("ada_home")

            # ---- analyst: import, detect, triage ----------------------------------------------------------
            j.visit("Import", "Import history")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(posts))
            expect(page.get_by_text("Detected: CSV")).to_be_visible()
            j.idle()
            j.act(
                page.get_by_role("button", name="Import", exact=True),
                page.get_by_text("valley_posts.csv: imported 306").first,
            )
            j.shot("ada_import_done")

            j.visit("Trends", "No detection has run yet")
            j.click(page.get_by_text("Run detection", exact=True))
            j.act(page.get_by_role("button", name="Detect trends"), page.get_by_text("Trends shown"))
            expect(page.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible()
            j.shot("ada_trends_detected")
            _click_first_row(page)
            expect(page.get_by_role("heading", name=f"{TAG} (hashtag)")).to_be_visible()
            j.shot("ada_trend_detail")
            page.get_by_test_id("stForm").last.get_by_text("Respond", exact=True).click()
            j.act(page.get_by_role("button", name="Save triage"), page.get_by_text(f"{TAG}: respond").first)
            j.logout()

            # ---- drafter: campaign, draft with the adversary's hashtag, submit ------------------------------
            j.login("dora")
            j.visit("Campaigns", "New campaign")
            form = page.get_by_test_id("stForm").first
            form.get_by_label("Name", exact=True).fill(CAMPAIGN)
            form.get_by_label("Goal (clear, realistic, measurable)").fill("200 residents join the lantern walk")
            form.get_by_role("tab", name="Audience").click()
            form.get_by_label("Main audience").fill("Valley residents aged 16-30")
            form.get_by_label("Languages (codes, comma-separated)").fill("en")
            form.get_by_role("tab", name="Messenger").click()
            messengers = form.get_by_role("tabpanel", name="Messenger")
            messengers.get_by_test_id("stDataFrame").hover()  # the grid's toolbar shows on hover
            messengers.get_by_role("button", name="Add row").dispatch_event("click")  # the grid may overlap it
            expect(messengers.locator("canvas").first).to_be_visible()
            cell_editor = page.locator("textarea.gdg-input, input.gdg-input").first
            for _ in range(4):  # the double click can land during a redraw: open the cell editor until it shows
                page.wait_for_timeout(400)
                box = messengers.locator("canvas").first.bounding_box()  # the grid itself, below its toolbar
                page.mouse.dblclick(box["x"] + 120, box["y"] + 35 + 17)  # the new row's name cell
                try:
                    cell_editor.wait_for(timeout=4_000)
                    break
                except PlaywrightTimeout:
                    continue
            cell_editor.fill("Valley Youth Council")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")  # leave the grid
            page.wait_for_timeout(300)
            j.shot("dora_campaign_messenger")
            form.get_by_role("textbox", name="Funder (required, disclosed)").fill("Valley Community Fund")
            form.get_by_label("Affiliation disclosure").fill("Funded by the Valley Community Fund")
            form.get_by_role("tab", name="Action").click()
            form.get_by_label("Call to action (simple, doable, meaningful)").fill("Join the lantern walk on Friday")
            form.get_by_role("tab", name="+ Monitoring").click()
            _pick(page, form, "Linked trends and narratives", f"{TAG} (hashtag, respond)")
            j.shot("dora_campaign_form")
            j.act(
                form.get_by_role("button", name="Create campaign"),
                page.get_by_role("heading", name=f"{CAMPAIGN} (planning)"),
            )
            j.shot("dora_campaign_created")

            j.visit("Drafts", "Start a new draft")
            new = page.get_by_test_id("stForm").filter(has_text="Create draft")
            new.get_by_label("Title", exact=True).fill("The lanterns are for everyone")
            _pick(page, new, "Channels", "X @valleyvoices")
            j.act(
                new.get_by_role("button", name="Create draft"),
                page.get_by_role("heading", name="The lanterns are for everyone"),
            )
            answer = (
                f"Seen {TAG}? Nobody hides the lanterns: the walk is open to all. "
                "Join us on Friday at the river. https://valley.example/walk"
            )
            page.get_by_role("textbox", name="Master text").fill(answer)
            page.get_by_role("textbox", name="X @valleyvoices").fill(answer)
            page.get_by_role("textbox", name="Master text").click()  # blur: the fragment reruns with the new text
            j.idle()
            expect(page.get_by_text("amplification risk: a reviewer must acknowledge it").first).to_be_visible()
            j.act(page.get_by_role("button", name="Save draft"), page.get_by_text("Draft saved").first)
            j.shot("dora_draft_warning")
            j.click(page.get_by_role("tab", name="Review"))
            j.act(
                page.get_by_role("button", name="Submit for review"),
                page.get_by_text("The draft is now in review").first,
            )
            j.shot("dora_draft_submitted")
            j.logout()

            # ---- reviewer: acknowledge and approve ----------------------------------------------------------
            j.login("rui")
            j.visit("Drafts", "In review")
            _click_first_row(page)
            expect(page.get_by_role("heading", name="The lanterns are for everyone")).to_be_visible()
            j.click(page.get_by_role("tab", name="Review"))
            ack = page.get_by_label("why is this amplification risk acceptable?", exact=False).first
            ack.fill("We quote the hashtag once to debunk it; no link to the adversary's posts")
            j.act(
                page.get_by_role("button", name="Approve", exact=True),
                page.get_by_text("Approve: done. The draft is now approved").first,
            )
            j.shot("rui_draft_approved")

            # ---- planner (reviewer): auto-schedule, pause, resume, publish ---------------------------------
            j.visit("Calendar", "Auto-schedule approved drafts")
            auto = page.get_by_role("button", name="Auto-schedule", exact=True)
            j.click(page.locator("summary", has_text="Auto-schedule approved drafts"))
            expect(auto).to_be_visible()
            j.idle()
            # The result lines sit in the expander (which the rerun may fold up again).
            placed = page.get_by_test_id("stCode").filter(has_text="The lanterns are for everyone")
            j.act(auto, placed, attached=True)
            j.shot("rui_calendar_scheduled")
            j.click(page.locator("summary", has_text="Crisis pause"))
            page.get_by_label("Reason (required)").fill("Storm warning in the valley: hold every post")
            j.act(page.get_by_role("button", name="Pause posting"), page.get_by_text("Posting paused").first)
            j.shot("rui_calendar_paused")
            j.act(page.get_by_role("button", name="Resume all"), page.get_by_text("Resumed all:").first)
            j.shot("rui_calendar_resumed")
            j.click(page.get_by_role("button", name="Dismiss"))
            j.idle()
            j.click(page.get_by_test_id("stButtonGroup").get_by_text("List", exact=True))
            j.idle()
            j.idle()
            _pick(page, page, "Open a scheduled post", "The lanterns are for everyone", multi=False)
            page.get_by_label("Post URL on the platform").fill(POST_URL)
            # Auto-schedule put it inside the trend's response window, maybe hours ahead: then the page warns that it
            # is not due yet, and marking it published needs a confirm (within 15 minutes of its time it does not).
            early = page.get_by_text("It went out before its due time: I confirm")
            if early.count():
                expect(page.get_by_text("This post is not due yet").first).to_be_visible()
                early.click()
            j.act(page.get_by_role("button", name="Mark published"), page.get_by_text(f"Published: {POST_URL}").first)
            j.shot("rui_calendar_published")
            j.logout()

            # ---- staff (drafter): import the post's figures -------------------------------------------------
            figures = tmp_path / "x_figures.csv"
            figures.write_text(
                f"url,impressions,likes,reposts,link_clicks\n{POST_URL},1850,64,12,31\n", encoding="utf-8"
            )
            j.login("dora")
            j.visit("Results", "Enter figures")
            page.get_by_role("tab", name="Import").click()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(figures))
            expect(page.get_by_role("button", name="Import", exact=True)).to_be_visible()
            j.idle()
            j.act(
                page.get_by_role("button", name="Import", exact=True),
                page.get_by_text("Imported 1 row for 1 post from x_figures.csv").first,
            )
            j.shot("dora_results_imported")
            j.logout()

            # ---- planner: the brief, as PDF and Word ----------------------------------------------------------
            j.login("rui")
            j.visit("Brief", "Download")
            files = {}
            for label, ext in (("PDF", "pdf"), ("Word", "docx")):
                with page.expect_download(timeout=90_000) as dl:
                    j.click(page.get_by_role("button", name=label, exact=True))
                files[ext] = tmp_path / f"brief.{ext}"
                dl.value.save_as(files[ext])
            j.shot("rui_brief")
            for title in ("Home", "Trends", "Campaigns", "Drafts", "Calendar", "Results", "Brief"):  # warm visits
                j.visit(title, title)

        except Exception:
            j.shot("FAILED", wait=False)
            print("\nPage render times so far:\n" + j.table())
            raise

    print("\nPage render times in the browser (sidebar click until the page has settled):\n" + j.table())
    print(f"Screenshots: {shots_dir}")

    # The downloads are real documents about this campaign.
    pdf_text = "\n".join(p.extract_text() or "" for p in PdfReader(files["pdf"]).pages)
    assert CAMPAIGN in pdf_text
    doc = Document(io.BytesIO(files["docx"].read_bytes()))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert any(CAMPAIGN in h for h in headings), headings
    assert len(headings) >= 3

    ws = open_workspace(data_dir_url(data))
    with ws.session() as s:
        entry = s.query(ScheduleEntry).one()
        assert entry.status == "published" and entry.published_url == POST_URL
    ws.dispose()

    warm = [sec for _w, _p, sec, first in j.times if not first]
    if _is_overloaded():
        print(f"Machine overloaded (load {os.getloadavg()[0]:.1f}): render times not asserted")
    else:
        assert max(warm) < RENDER_BOUND_S, j.table()
