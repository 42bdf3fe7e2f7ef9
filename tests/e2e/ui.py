"""Small Playwright helpers that speak Tuneboard: widget keys (``.st-key-<key>``), pages, charts.

Every wait is an ``expect(...)`` on something the user would see; no fixed sleeps.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TRACEBACK_TEXT = ("Traceback", 'File "')


def key(page: Page, name: str) -> Locator:
    """The element of the widget with ``key=name``."""
    return page.locator(f".st-key-{name}")


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """The script has finished its run and the websocket is connected."""
    expect(page.locator(APP_IDLE)).to_be_attached(timeout=timeout)


def open_app(page: Page, path: str = "/") -> None:
    page.goto(path)
    wait_idle(page)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible()


def go_to(page: Page, title: str) -> None:
    """Navigate with the sidebar, like a user (keeps the session and its state)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(_page_url_re(title))
    wait_idle(page)


def _page_url_re(title: str) -> "re.Pattern[str]":
    import re

    return re.compile(rf"/{re.escape(title.lower())}(\?.*)?$")


def log_in(page: Page, provider: str, user: dict) -> None:
    """From the login screen, log in as ``user`` (a dict with ``sub`` and ``name``) through the OIDC provider's
    authorize form; back in the app, the name shows in the sidebar."""
    page.get_by_role("button", name="Log in").click(timeout=60_000)
    page.wait_for_url(f"{provider}/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(user["sub"])
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(user["name"])).to_be_visible(timeout=60_000)


def fill_train_form(page: Page, model: Path, epochs: int, batch_size: int = 8) -> None:
    """On the Train page: the model folder ``model``, the fast preset with a short fixed-epoch config."""
    set_input(page, "model_source", str(model))
    choose_radio(page, "preset", "fast")
    set_advanced(page, epochs=epochs, batch_size=batch_size)


def set_advanced(page: Page, **values: object) -> None:
    """Open the Train page's advanced settings and type ``values`` (setting name -> value) into them; the
    epochs must hold when done."""
    page.get_by_text("Advanced settings").click()
    for _ in range(3):  # a rerun that was still applying the preset can land after a value typed just before it
        for name, value in values.items():
            set_input(page, f"train_{name}", str(value))
        wait_idle(page)
        if "epochs" not in values or key(page, "train_epochs").locator("input").input_value() == str(values["epochs"]):
            break
    if "epochs" in values:
        expect(key(page, "train_epochs").locator("input")).to_have_value(str(values["epochs"]))


def click_start(page: Page) -> None:
    """Press Start (or Queue, when the device is busy); see ``wait_run_started``."""
    key(page, "start_training").get_by_role("button").click()


def wait_run_started(page: Page, timeout: float = 120_000) -> str:
    """After Start: the run's live panel is up (with Stop, or Cancel while queued); returns the run id."""
    expect(key(page, "stop_training")).to_be_visible(timeout=timeout)
    expect(page).to_have_url(re_query("run"))
    run_id = query_param(page, "run")
    assert run_id, "the Train page did not put the new run in its address"
    return run_id


def start_training(page: Page, model: Path, epochs: int, batch_size: int = 8, timeout: float = 120_000) -> str:
    """Fill the Train form, Start, wait for the live panel; returns the run id."""
    fill_train_form(page, model, epochs, batch_size)
    click_start(page)
    return wait_run_started(page, timeout)


def upload(page: Page, path: Path) -> None:
    key(page, "data_upload").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))


def choose_upload(page: Page, path: Path) -> None:
    """From any page: upload ``path`` on Data, then open Train, which names it as the data to train on."""
    open_app(page)
    go_to(page, "Data")
    upload(page, path)
    expect(page.get_by_text("(uploaded file)")).to_be_visible()
    go_to(page, "Train")
    expect(page.get_by_text(path.name)).to_be_visible()


def expect_selected(page: Page, widget: str, option: str) -> None:
    """The select box with key ``widget`` shows ``option``."""
    expect(key(page, widget).get_by_role("combobox")).to_have_value(option)


def set_input(page: Page, widget: str, value: str) -> None:
    """Type into a text or number input and commit it (Enter), then wait for the rerun."""
    box = key(page, widget).locator("input")
    box.fill(value)
    box.press("Enter")
    expect(box).to_have_value(value)
    wait_idle(page)


def choose_radio(page: Page, widget: str, option: str) -> None:
    """Pick the radio option whose label starts with ``option`` (case-insensitive)."""
    import re

    radio = key(page, widget).get_by_role("radio", name=re.compile(f"^{re.escape(option)}", re.I))
    radio.check(force=True)  # Streamlit draws its own circle over the native input
    expect(radio).to_be_checked()
    wait_idle(page)


def chart_points(page: Page, widget: str, trace: int = 0) -> int:
    """How many points trace ``trace`` of the Plotly chart with key ``widget`` shows now (0 if none).
    While a rerun replaces a chart, the old (stale) copy can still be there: the larger count wins."""
    return page.evaluate(_COUNT_JS, [f".st-key-{widget} .js-plotly-plot", trace])


def expect_no_traceback(page: Page) -> None:
    """No exception element and no traceback text anywhere on the page."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    body = page.locator("body").inner_text()
    for needle in TRACEBACK_TEXT:
        assert needle not in body, f"traceback text {needle!r} is visible on the page"


_COUNT_JS = """([selector, trace]) => Math.max(0, ...Array.from(document.querySelectorAll(selector),
    el => (el.data && el.data[trace] && el.data[trace].x) ? el.data[trace].x.length : 0))"""
_POINTS_JS = "([selector, trace, n]) => (" + _COUNT_JS + ")([selector, trace]) > n"


def wait_chart_points(page: Page, widget: str, more_than: int, trace: int = 0, timeout: float = 30_000) -> int:
    """Wait until the chart with key ``widget`` shows more than ``more_than`` points; return the count."""
    selector = f".st-key-{widget} .js-plotly-plot"
    page.wait_for_function(_POINTS_JS, arg=[selector, trace, more_than], timeout=timeout)
    return chart_points(page, widget, trace)


def re_query(name: str) -> "re.Pattern[str]":
    """A URL pattern with query parameter ``name`` set."""
    import re

    return re.compile(rf"[?&]{re.escape(name)}=[^&]+")


def query_param(page: Page, name: str) -> str | None:
    from urllib.parse import parse_qs, urlparse

    return (parse_qs(urlparse(page.url).query).get(name) or [None])[0]


def load_factor() -> float:
    """How oversubscribed this machine is now (1 on an idle one; 3 at load 6 on 2 cores)."""
    import os

    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


def run_signature(run_dir: Path | None) -> tuple:
    """What changes while a run makes progress: its history and status files' sizes and times."""
    if run_dir is None:
        return ()
    out = []
    for name in ("history.jsonl", "status.json", "heartbeat"):
        try:
            st = (run_dir / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


def patiently(check, run_dir: Path | None = None, idle_ms: float = 120_000, cap_ms: float = 900_000):
    """Run ``check(timeout_ms)`` (an ``expect``/``wait_for_function`` that raises when it times out) until it
    passes. It gives up only when nothing has moved for ``idle_ms`` (stretched by the machine's load): the run
    folder ``run_dir`` wrote nothing new (its heartbeat moves every 2 s while anyone trains it). Returns what
    ``check`` returns. A busy 2-core machine makes a run slow, not stuck; a fixed limit
    failed there while the run was still training."""
    import time

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start = last_move = time.monotonic()
    seen = run_signature(run_dir)
    while True:
        try:
            return check(10_000)
        except (AssertionError, PlaywrightTimeout):
            now = time.monotonic()
            current = run_signature(run_dir)
            if current != seen:
                seen, last_move = current, now
            idle = (now - last_move) * 1000
            if idle > idle_ms * load_factor() or (now - start) * 1000 > cap_ms:
                raise


def wait_points(page: Page, widget: str, more_than: int, run_dir: Path, trace: int = 0) -> int:
    """``wait_chart_points`` for as long as the run in ``run_dir`` is making progress."""
    return patiently(lambda ms: wait_chart_points(page, widget, more_than, trace, timeout=ms), run_dir)


def wait_text(page: Page, text: str, run_dir: Path) -> None:
    """Wait until ``text`` shows (e.g. "Training finished"), for as long as the run is making progress."""
    patiently(lambda ms: expect(page.get_by_text(text).first).to_be_visible(timeout=ms), run_dir)
