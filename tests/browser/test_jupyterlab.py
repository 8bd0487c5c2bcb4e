"""The course in a real browser: JupyterLab + widgets, driven by Playwright in headless Chromium."""

from __future__ import annotations

import re
import time

import nbformat
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips (or fails, with NNLIB_REQUIRE_BROWSER=1)
    PlaywrightTimeout = TimeoutError

# lesson file, a check() line the fresh lesson prints, whether it has sliders
LESSONS = [
    ("01_single_neuron.ipynb", "preactivation: not implemented yet", True),
    ("05_chain_rule.ipynb", "numerical_derivative: not implemented yet", False),
]


def _wait_until_idle(page, n_code_cells, timeout_s=120):
    """Wait until every code cell shows an execution count and none shows '[*]'."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        ran = sum(bool(re.search(r"\[\d+\]", p)) for p in prompts)
        if ran == n_code_cells and not any("*" in p for p in prompts):
            return ran
        time.sleep(0.5)
    raise AssertionError(f"the notebook did not finish running in time ({ran} of {n_code_cells} cells ran)")


@pytest.mark.parametrize(("name", "check_line", "has_sliders"), LESSONS)
def test_lesson_runs_in_jupyterlab(browser, jupyterlab, name, check_line, has_sliders, tmp_path_factory):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a fresh workspace per lesson, so only this notebook is open
        workspace = name.split(".")[0]
        page.goto(f"{jupyterlab['base']}/lab/workspaces/{workspace}/tree/{name}?reset&token={jupyterlab['token']}")
        page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
        select = page.get_by_role("button", name="Select", exact=True)
        try:  # JupyterLab may ask which kernel to start: the notebook's own, preselected
            select.wait_for(timeout=5_000)
            select.click()
        except PlaywrightTimeout:
            pass
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        page.get_by_role("menuitem", name="Run").click()
        page.get_by_role("menuitem", name=re.compile("^Run All Cells")).click()
        n_code_cells = sum(c.cell_type == "code" and bool(c.source.strip()) for c in
                           nbformat.read(jupyterlab["dir"] / "lessons" / name, as_version=4).cells)
        assert _wait_until_idle(page, n_code_cells) >= 5

        text = page.locator(".jp-Notebook").inner_text()
        assert "Traceback (most recent call last)" not in text
        errors = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
        assert page.locator(errors).count() == 0
        assert check_line in text  # check() printed its line
        assert page.locator(".jupyter-widgets").count() > 0  # a widget rendered

        if has_sliders:
            sliders = page.locator(".widget-slider .noUi-handle, .jupyter-widgets .noUi-handle")
            assert sliders.count() >= 2
            images = page.locator(".jupyter-widgets .jp-OutputArea-output img, .widget-output img")
            before = images.first.get_attribute("src")
            sliders.first.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight")
            deadline = time.monotonic() + 20
            while images.first.get_attribute("src") == before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert images.first.get_attribute("src") != before, "moving a slider did not redraw the figure"
            # five steps of 0.1 from w1 = 1.0: the kernel ends up drawing (and writing) w1 = 1.5
            readout = page.locator(".jupyter-widgets").get_by_text("= (1.5)(1.0) + (2.0)(1.0)")
            readout.wait_for(timeout=20_000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=20_000)
    finally:
        shots = tmp_path_factory.mktemp("screenshots")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
        print(f"screenshot: {shots / (name + '.png')}")
        page.close()
