"""The executed demo, exported to HTML, in headless Chromium: light and dark themes.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run`` when
missing) is driven by Playwright's Python package. For each theme (nbconvert's
JupyterLab light and dark themes, which set the ``--jp-*`` variables the panel
uses) the test checks that every explanation panel and every graph SVG is
visible with a non-zero size, and that all their text has WCAG contrast
>= 4.5 against what is behind it. Screenshots go to build/screenshots/.
``AE_UPDATE_SCREENSHOT=1`` also rewrites docs/screenshot.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("AE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MIN_CONTRAST = 4.5

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Relative luminance and contrast, WCAG 2.x; colours composited over what is behind them.
_CONTRAST_JS = r"""
(root) => {
  const parse = (text) => {
    const m = /^rgba?\(([^)]*)\)$/.exec(text.trim());
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3]));
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const htmlBackground = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor || "");
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const svgBackground = (el) => {
    // the topmost filled shape under the text's centre, else the page behind the svg
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const svg = el.ownerSVGElement || el.closest("svg");
    for (const under of document.elementsFromPoint(x, y)) {
      if (under === el || el.contains(under)) continue;
      if (under instanceof SVGGeometryElement) {
        const fill = parse(getComputedStyle(under).fill || "");
        if (fill && fill[3] > 0) return over(fill, htmlBackground(svg));
      }
      if (under === svg) break;
    }
    return htmlBackground(svg);
  };
  const results = [];
  const elements = [root, ...root.querySelectorAll("*")];
  for (const el of elements) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim());
    if (!own.length) continue;
    if (["title", "style", "desc", "script", "metadata"].includes(el.tagName.toLowerCase()) || el.closest("defs")) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;  // not drawn
    const isSvg = el instanceof SVGElement;
    const bg = isSvg ? svgBackground(el) : htmlBackground(el);
    const raw = parse(isSvg ? style.fill : style.color);
    if (!raw) { results.push({text: own.join(" ").slice(0, 40), ratio: 0, color: isSvg ? style.fill : style.color}); continue; }
    const fg = over(raw, bg);
    results.push({text: own.join(" ").slice(0, 40), ratio: ratio(fg, bg), color: String(fg.map(Math.round)),
                  background: String(bg.map(Math.round))});
  }
  return results;
}
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set AE_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python package) is not installed")
    with sync_api.sync_playwright() as p:
        try:
            instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as error:  # a broken or incompatible install: say why
            pytest.skip(f"chromium at {CHROMIUM} does not start under playwright: {error}".splitlines()[0])
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def html_pages():
    """The executed demo exported with nbconvert's light and dark JupyterLab themes."""
    pytest.importorskip("nbconvert")
    pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    from _demo_run import executed_demo

    notebook = executed_demo()
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {}
    for theme in ("light", "dark"):
        body, _ = HTMLExporter(theme=theme).from_notebook_node(notebook)
        path = ROOT / "build" / f"test-demo-{theme}.html"
        path.write_text(body, encoding="utf-8")
        pages[theme] = path
    return pages


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    # The export links MathJax/require.js from CDNs: stay offline.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
               else route.abort())
    page.goto(path.as_uri(), wait_until="load")
    return page


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_panels_visible_and_readable(browser, html_pages, theme):
    page = _open(browser, html_pages[theme])
    try:
        panels = page.locator(".autograd-explain")
        count = panels.count()
        assert count >= 7, f"only {count} explanation panels in the {theme} page"
        failures = []
        for index in range(count):
            panel = panels.nth(index)
            panel.scroll_into_view_if_needed()
            box = panel.bounding_box()
            if not panel.is_visible() or not box or box["width"] < 100 or box["height"] < 40:
                failures.append(f"panel {index}: not visible or too small ({box})")
                continue
            for item in panel.evaluate(_CONTRAST_JS):
                if item["ratio"] < MIN_CONTRAST:
                    failures.append(f"panel {index}: {item['text']!r} contrast {item['ratio']:.2f} "
                                    f"({item['color']} on {item.get('background')})")
            if index == 0:
                panel.screenshot(path=str(SHOTS / f"panel-{theme}.png"))
        page.screenshot(path=str(SHOTS / f"demo-{theme}.png"), full_page=True)
        assert not failures, "\n".join(failures[:20])
    finally:
        page.close()


_BACKGROUND_JS = r"""
(el) => {
  const parse = (t) => { const m = /^rgba?\(([^)]*)\)$/.exec(t.trim()); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const layers = [];
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor || "");
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255];
  for (const c of layers.reverse()) bg = [0, 1, 2].map(i => c[i] * c[3] + bg[i] * (1 - c[3]));
  return bg.map(Math.round);
}
"""


def _svg_text(src: str) -> str:
    import base64
    from urllib.parse import unquote

    head, _, data = src.partition(",")
    return base64.b64decode(data).decode("utf-8") if ";base64" in head else unquote(data)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_graph_svg_visible_and_readable(browser, html_pages, theme):
    """Graph outputs (nbconvert and JupyterLab show image/svg+xml as an <img>) are drawn and readable.

    The drawing's own colours cannot follow the page's theme inside an <img>, so its text is
    checked against its own shapes, or against the page background where it is transparent.
    """
    page = _open(browser, html_pages[theme])
    try:
        outputs = page.locator(".jp-RenderedSVG img, .jp-RenderedSVG svg")
        count = outputs.count()
        assert count >= 2, f"{count} SVG graphs in the {theme} page"
        failures = []
        for index in range(count):
            output = outputs.nth(index)
            output.scroll_into_view_if_needed()
            box = output.bounding_box()
            if not output.is_visible() or not box or box["width"] < 20 or box["height"] < 20:
                failures.append(f"svg {index}: not visible or too small ({box})")
                continue
            output.screenshot(path=str(SHOTS / f"graph-{index}-{theme}.png"))
            if output.evaluate("e => e.tagName.toLowerCase()") == "img":
                if not output.evaluate("e => e.complete && e.naturalWidth > 0"):
                    failures.append(f"svg {index}: the browser could not draw the SVG image")
                    continue
                background = output.evaluate(_BACKGROUND_JS)
                markup = _svg_text(output.get_attribute("src") or "")
                probe = browser.new_page()
                try:
                    probe.set_content(f"<html><body style=\"margin:0;background:rgb({','.join(map(str, background))})\">"
                                      f"{markup}</body></html>")
                    items = probe.locator("svg").first.evaluate(_CONTRAST_JS)
                finally:
                    probe.close()
            else:
                items = output.evaluate(_CONTRAST_JS)
            if not items:
                failures.append(f"svg {index}: no text")
            for item in items:
                if item["ratio"] < MIN_CONTRAST:
                    failures.append(f"svg {index}: {item['text']!r} contrast {item['ratio']:.2f} "
                                    f"({item['color']} on {item.get('background')})")
        assert not failures, "\n".join(failures[:20])
    finally:
        page.close()


def test_readme_screenshot(browser, html_pages):
    """A small PNG of one panel for the README (AE_UPDATE_SCREENSHOT=1 copies it to docs/)."""
    page = _open(browser, html_pages["light"])
    try:
        panel = page.locator('.autograd-explain[data-kind="inplace-modified"]').first
        panel.scroll_into_view_if_needed()
        path = SHOTS / "readme.png"
        panel.screenshot(path=str(path))
        assert path.stat().st_size > 1000
        if os.environ.get("AE_UPDATE_SCREENSHOT"):
            shutil.copyfile(path, ROOT / "docs" / "screenshot.png")
    finally:
        page.close()
