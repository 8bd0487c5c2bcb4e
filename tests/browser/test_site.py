"""The exported site (nnlib export-html) in headless Chromium with the network blocked.

Every page is opened from disk; any request that is not a file of the site is refused and
recorded. MathJax (the vendored copy) must typeset every formula: no raw ``$`` is left in
the text of any markdown cell. The navigation links and the widget stills must work too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for site_fixture
from site_fixture import exported_site


def test_every_page_renders_its_math_offline(browser):
    site = exported_site()
    pages = sorted(site.glob("[0-9][0-9]_*.html"))
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    refused, missing = [], []

    def only_the_site(route):
        url = route.request.url
        if url.startswith("file://"):
            path = Path(unquote(urlparse(url).path))
            if path.is_file() and site in path.parents:
                return route.continue_()
            missing.append(url)
        else:
            refused.append(url)
        return route.abort()

    context.route("**/*", only_the_site)
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=60_000)
            page.evaluate("() => MathJax.startup.promise")
            markdown = page.locator(".jp-RenderedMarkdown").all_inner_texts()
            raw = [text for text in markdown if "$" in text]
            assert raw == [], f"{path.name}: untypeset math in {raw[0][:200]!r}"
            assert page.locator("mjx-container").count() > 0, f"{path.name}: no formula typeset"
            assert page.title().endswith("Neural networks from the neuron up")
            # each widget still is a real picture (decoded, not a broken image)
            stills = page.locator("figure.nnlib-widget img")
            widths = stills.evaluate_all("els => els.map(e => e.naturalWidth)")
            assert all(w > 100 for w in widths), f"{path.name}: widget stills {widths}"
        # the navigation: from the first lesson, "next" leads to the second, "index" to the index
        page.goto(pages[0].as_uri())
        page.locator(".nnlib-nav-top a[rel=next]").click()
        assert Path(unquote(urlparse(page.url).path)).name == pages[1].name
        page.locator(".nnlib-nav-bottom a[href='index.html']").click()
        assert page.locator("h1").inner_text() == "Neural networks from the neuron up"
        assert errors == [], errors
    finally:
        context.close()
    assert refused == [], f"pages tried to fetch {refused[:5]}"
    assert missing == [], f"pages asked for files the site does not have: {missing[:5]}"
