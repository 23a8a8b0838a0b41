"""No page, receipt PDF or API field shows a float representation of money (issue 18): walked as the demo
association and the demo company, after ``seed_demo``. Money prints the French way through ``core/formats.py``
(``|euros``, ``money()``): « 3 768,84 € », never « 3768,84000000000 », « 581.53 € » or « 5000,00 € »."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from maillage.api.urls import api
from maillage.demo.seed import seed_demo
from maillage.receipts.models import Donor, Receipt
from maillage.receipts.pdf import render_cancellation_pdf, render_receipt_pdf
from maillage.workspaces.models import Membership, User
from tests.conftest import api_client_for, client_for

pytestmark = pytest.mark.django_db

# What float noise or an unformatted amount looks like on screen.
FLOAT_NOISE = re.compile(r"\d[.,]\d{5,}")  # 3768,84000000000 ; 0.30000000000000004
DOT_EUROS = re.compile(r"\d\.\d{1,2}\s?€")  # 581.53 €
UNGROUPED_EUROS = re.compile(r"(?<![\d.,])\d{4,}(?:,\d+)?\s?€")  # 5000,00 € (French groups thousands)
PATTERNS = (FLOAT_NOISE, DOT_EUROS, UNGROUPED_EUROS)
# JSON fields holding money: a string with exactly two decimals (never a float).
MONEY_KEYS = re.compile(r"(amount|montant|counterparts_value|reduction|ceiling|retained|carried|expired|cost|gifts)$")
MONEY_TEXT = re.compile(r"^-?\d+\.\d{2}$")


def visible(content: str) -> str:
    content = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", content)
    text = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return text.replace("\u202f", " ").replace("\xa0", " ")


def offences(where: str, text: str) -> list[str]:
    found = []
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            found.append(f"{where}: « {text[max(0, match.start() - 40) : match.end() + 10].strip()} »")
    return found


def page_urls() -> list[str]:
    urls = []

    def walk(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "api" or entry.app_name == "api":
                    continue
                walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.converters:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                try:
                    urls.append(reverse(name))
                except Exception:  # noqa: BLE001 — a pattern that needs arguments
                    continue

    walk(get_resolver())
    return sorted({u for u in urls if "deconnexion" not in u and "logout" not in u})


def demo_users() -> list[tuple[User, object]]:
    seed_demo()
    found = []
    for email in ("demo@maillage.test", "partenaire@maillage.test"):
        user = User.objects.get(email=email)
        membership = Membership.objects.active().filter(user=user).select_related("workspace").first()
        found.append((user, membership.workspace))
    return found


def json_offences(where: str, data, key: str = "") -> list[str]:
    found = []
    if isinstance(data, dict):
        if key in ("shares", "percent", "rates"):  # percentages keyed by source (the diagnostic), not money
            return found
        for k, v in data.items():
            found += json_offences(where, v, k)
    elif isinstance(data, list):
        for v in data:
            found += json_offences(where, v, key)
    elif isinstance(data, float):
        if MONEY_KEYS.search(key):
            found.append(f"{where}: {key} = {data!r} (nombre flottant)")
    elif isinstance(data, str) and MONEY_KEYS.search(key) and re.match(r"^-?\d", data) and not MONEY_TEXT.match(data):
        found.append(f"{where}: {key} = {data!r}")
    return found


def test_no_page_pdf_or_api_field_shows_a_float_of_money(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    problems = []
    urls = page_urls()
    for user, workspace in demo_users():
        client = client_for(user)
        extra = [reverse("web:receipt_detail", args=[r.pk]) for r in Receipt.objects.visible_to(workspace)[:5]]
        extra += [reverse("web:donor_detail", args=[d.pk]) for d in Donor.objects.visible_to(workspace)[:5]]
        walked = 0
        for url in urls + extra:
            response = client.get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                walked += 1
                problems += offences(f"{user.email} {url}", visible(response.content.decode()))
        assert walked >= 25, f"{user.email}: {walked} pages seulement"
        receipts = list(Receipt.objects.visible_to(workspace)[:10])
        assert receipts or user.email != "demo@maillage.test"
        for receipt in receipts:
            for data in (render_receipt_pdf(receipt),) + (
                (render_cancellation_pdf(receipt),) if receipt.is_cancelled else ()
            ):
                text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
                problems += offences(f"PDF {receipt.reference}", text.replace("\u202f", " ").replace("\xa0", " "))
        api_client = api_client_for(user, workspace)
        for path, operations in api.get_openapi_schema()["paths"].items():
            if "get" not in operations or "{" in path:
                continue
            response = api_client.get(path)
            if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
                problems += json_offences(f"{user.email} GET {path}", response.json())
    assert not problems, "\n".join(problems[:40])
    assert len(urls) > 30


@pytest.mark.parametrize(
    "text",
    ["Total : 3768,84000000000", "Don de 581.53 € reçu", "Montant : 5000,00 €", "0.30000000000000004"],
)
def test_the_walk_would_catch_a_float(text):
    """The patterns catch each form the issue names (the walk can fail)."""
    assert offences("exemple", text)


def test_the_walk_accepts_french_money():
    assert not offences("exemple", "Total : 3 768,84 € ; 581,53 € ; 5 000,00 € ; 2025 ; 12 dons")
    assert json_offences("exemple", {"amount": 3768.84}) and json_offences("exemple", {"amount": "0"})
    assert not json_offences("exemple", {"amount": "0.00", "shares": {"gifts": "10.8"}})
