"""The public front door in real Chromium: home page and services catalogue.

axe (WCAG 2.0/2.1/2.2 A and AA) on desktop and at 320px, the skip link, and a right-to-left
language chosen with the language form.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check, sign_in

PUBLIC_PAGES = ["/", "/services/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations_on_desktop(page: Any, portal: Portal, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_be_visible()
    axe_check(page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations_at_320px(phone_page: Any, path: str) -> None:
    response = phone_page.goto(path)
    assert response is not None and response.status == 200
    axe_check(phone_page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_reflows_at_320px_without_sideways_scrolling(
    phone_page: Any, path: str
) -> None:
    phone_page.goto(path)
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"


def test_home_page_explains_the_portal_and_links_to_apply_and_sign_in(page: Any) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Home"))
    expect(page.get_by_role("link", name="Find a service and apply")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Sign in")).to_have_attribute("href", "/accounts/login/")
    # Seeded demo: twelve members and their services.
    expect(page.locator(".lead")).to_contain_text("12 housing associations")
    expect(main.locator(".card").first).to_be_visible()


def test_catalogue_filters_by_type_of_help_without_javascript(browser: Any, portal: Portal) -> None:
    context = browser.new_context(base_url=portal.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/services/")
        all_cards = page.locator(".card").count()
        assert all_cards > 0
        page.get_by_label("Type of help").select_option(label="Employment support")
        page.get_by_role("button", name="Show services").click()
        page.wait_for_url(re.compile(r"kind=employment"))
        filtered = page.locator(".card")
        assert 0 < filtered.count() < all_cards
        for text in filtered.locator(".card__meta").first.all_inner_texts():
            assert "Employment support" in text
    finally:
        context.close()


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    # The skip link is off-screen until focused, then visible (WCAG 2.4.7, 2.4.11).
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    # The next Tab continues from the main content, not from the top of the page.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate(
        "document.getElementById('main-content').contains(document.activeElement)"
    )
    assert focused_in_main


def test_focused_links_show_a_visible_focus_indicator(page: Any) -> None:
    page.goto("/")
    link = page.get_by_role("link", name="Find a service and apply")
    before = link.evaluate("el => getComputedStyle(el).backgroundColor")
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    after = link.evaluate("el => getComputedStyle(el).backgroundColor")
    assert before != after, "focus must change how the link looks"


@pytest.mark.parametrize("language, native_name", [("ar", "العربية"), ("ur", "اردو")])
def test_right_to_left_language_chosen_with_the_form_renders_rtl_without_violations(
    page: Any, language: str, native_name: str
) -> None:
    page.goto("/services/")
    page.get_by_label("Language").select_option(value=language)
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    # set_language sends the visitor back to the page they were on.
    assert page.url.endswith("/services/")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", language)
    # Once switched, labels may be translated: find the picker by its id from here on.
    expect(page.locator("#language-select option:checked")).to_have_text(native_name)
    axe_check(page)
    page.goto("/")
    expect(html).to_have_attribute("dir", "rtl")
    axe_check(page)


def test_right_to_left_page_mirrors_the_layout(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Language").select_option(value="ar")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    # The site name starts at the right-hand edge in a right-to-left language.
    name_box = page.locator(".site-header__name").bounding_box()
    viewport = page.viewport_size
    assert name_box is not None and viewport is not None
    assert name_box["x"] > viewport["width"] / 2


# Walks the page with the keyboard and measures, for each element that takes focus, the contrast
# of its text against its (focused) background: axe only sees the page at rest.
FOCUS_REPORT_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const luminance = ({r, g, b}) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const el = document.activeElement;
  let bg = null;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c && c.a > 0) { bg = c; break; }
  }
  bg = bg || {r: 255, g: 255, b: 255, a: 1};
  const fg = parse(getComputedStyle(el).color);
  const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  const style = getComputedStyle(el);
  return {
    name: (el.innerText || el.value || el.getAttribute('aria-label') || el.tagName).trim()
      .slice(0, 40),
    tag: el.tagName,
    contrast: (l1 + 0.05) / (l2 + 0.05),
    indicator: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
      || style.boxShadow !== 'none',
  };
}
"""


def focus_walk(page: Any, limit: int = 60) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    page.keyboard.press("Tab")
    for _ in range(limit):
        if page.evaluate("document.activeElement === document.body"):
            break
        seen.append(page.evaluate(FOCUS_REPORT_JS))
        page.keyboard.press("Tab")
    return seen


def assert_focus_readable(page: Any) -> None:
    report = focus_walk(page)
    assert len(report) > 3, "the keyboard reached almost nothing"
    unreadable = [r for r in report if r["contrast"] < 4.5]
    assert not unreadable, f"focused text below 4.5:1 contrast: {unreadable}"
    invisible = [r for r in report if not r["indicator"] and r["tag"] != "SELECT"]
    assert not invisible, f"no focus indicator: {invisible}"


def test_every_focused_control_on_the_home_page_is_readable_and_visible(page: Any) -> None:
    page.goto("/")
    assert_focus_readable(page)


def test_every_focused_control_is_readable_when_signed_in(page: Any) -> None:
    # The header gains "Your work" and a "Sign out" button, white on the header's colour at rest.
    sign_in(page, "caseworker.brixton@demo.example")
    page.goto("/")
    assert_focus_readable(page)


def test_right_to_left_pages_reflow_at_320px_without_violations(phone_page: Any) -> None:
    phone_page.goto("/")
    phone_page.locator("#language-select").select_option(value="ur")
    with phone_page.expect_navigation():
        phone_page.locator(".language-form [type=submit]").click()
    for path in PUBLIC_PAGES:
        phone_page.goto(path)
        expect(phone_page.locator("html")).to_have_attribute("dir", "rtl")
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px in Urdu"
        axe_check(phone_page)
