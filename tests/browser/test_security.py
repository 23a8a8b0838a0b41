"""Pages, htmx and Swagger UI work under the strict Content-Security-Policy, and the browser tests see violations.

Every browser test fails on a CSP violation (``tests/browser/conftest.py``); this module first proves that the hook
does see one, then walks what the policy could have broken: the htmx widgets whose inline JavaScript moved to
``web/maillage.js`` and django-ninja's Swagger UI.
"""

from __future__ import annotations

import pytest

from maillage.core.roles import Role
from maillage.workspaces.models import Membership
from tests.browser.conftest import csp_violations
from tests.browser.test_alliance_journeys import log_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser


def test_the_hook_sees_an_inline_script_refused_by_the_policy(new_browser_page):
    page = new_browser_page()
    page.goto("/observatoire/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("() => true")  # let the console event arrive
    assert page.evaluate("window.injected") is None  # refused
    violations = csp_violations(new_browser_page.console)
    assert violations and any("script-src" in v for v in violations), new_browser_page.console
    new_browser_page.console.clear()  # this test's violation was wanted


def test_htmx_widgets_work_without_inline_javascript(browser_page, workspace_a, org_b):
    from playwright.sync_api import expect

    alice = make_user("alice@a.test", "Alice Durand")
    Membership.objects.create(workspace=workspace_a, user=alice, role=Role.OWNER)
    page = browser_page
    log_in(page, alice.email)
    # The commune autocomplete (was hx-vals='js:…', an eval): the datalist fills in.
    page.goto("/annuaire/")
    page.get_by_label("Commune (code INSEE)").press_sequentially("Vill", delay=20)
    expect(page.locator("#commune-list option").first).to_be_attached()
    # A partner row is added through the htmx search, Enter does not submit, "Retirer" removes it (was hx-on).
    page.goto("/alliances/nouvelle/")
    search = page.get_by_label("Chercher une organisation dans l'annuaire")
    page.evaluate("window.__samePage = true")
    search.fill("amicale")
    search.press("Enter")
    page.get_by_role("button", name="Ajouter Amicale des Bords de Saône").click()
    assert page.evaluate("window.__samePage") is True  # Enter in the search did not submit the form
    rows = page.locator("#chosen-partners .partner-row")
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name="Retirer").click()
    expect(rows).to_have_count(0)


def test_swagger_ui_works_under_the_policy(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="API Maillage")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
