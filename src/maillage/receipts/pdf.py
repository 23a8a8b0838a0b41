"""Receipts and cancellation notices as PDF (WeasyPrint, from Django templates); their text is extractable."""

from __future__ import annotations

import base64
import mimetypes
import threading
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from maillage.core.formats import amount
from maillage.core.legal import RECEIPT_CERFA, RECEIPT_RETENTION_YEARS
from maillage.receipts.models import GiftForm, Nature, PaymentMethod, Receipt, ReceiptForm
from maillage.receipts.words import euros_in_words


def _signature_data_uri(name: str) -> str:
    if not name:
        return ""
    try:
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    kind = "image/png" if data.startswith(b"\x89PNG") else mimetypes.guess_type(name)[0] or "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def money(value: Decimal | str | int) -> str:
    """« 1 234,50 » (French grouping, decimal comma): :func:`maillage.core.formats.amount`."""
    return amount(Decimal(value))


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    issuer = receipt.issuer_snapshot
    evidence = issuer.get("evidence_date") or ""
    skills = [{**line, "value_display": money(line["value"])} for line in receipt.skills_detail]
    is_company = receipt.form == ReceiptForm.COMPANY
    # Receipts issued before the articles were stored per receipt: those of the form (never the other form's).
    articles = receipt.articles.split(",") if receipt.articles else (["238 bis"] if is_company else ["200"])
    article_boxes = ["238 bis"] if is_company else ["200", "978"]
    gift_form = receipt.gift_form or (GiftForm.MANUAL if receipt.nature == Nature.MONEY else GiftForm.OTHER)
    nature_boxes = [
        (Nature.MONEY.label, receipt.nature == Nature.MONEY),
        (Nature.SECURITIES.label, receipt.nature == Nature.SECURITIES),
        (
            "Autres"
            + (
                f" : {receipt.get_nature_display().lower()}"
                if receipt.nature in (Nature.IN_KIND, Nature.SKILLS)
                else ""
            ),
            receipt.nature in (Nature.IN_KIND, Nature.SKILLS),
        ),
    ]
    return {
        "cerfa": receipt.cerfa or RECEIPT_CERFA[receipt.form],
        "articles": articles,
        "article_boxes": [(a, a in articles) for a in article_boxes],
        "form_boxes": [(label, value == gift_form) for value, label in GiftForm.choices],
        "nature_boxes": nature_boxes,
        "payment_boxes": [(label, value == receipt.payment_method) for value, label in PaymentMethod.choices if value],
        "amount_display": money(receipt.amount),
        "counterparts_display": money(receipt.counterparts_value),
        "evidence_date": date.fromisoformat(evidence) if evidence else None,
        "skills": skills,
        "receipt": receipt,
        "issuer": issuer,
        "is_company": is_company,
        "amount_words": euros_in_words(receipt.amount),
        "signature": _signature_data_uri(issuer.get("signature_image", "")),
        "retention_years": int(RECEIPT_RETENTION_YEARS.value),
    }


STYLESHEET = Path(__file__).with_name("receipt.css")


@lru_cache(maxsize=1)
def _weasy() -> tuple[Any, Any, Any]:  # WeasyPrint ships no types
    """WeasyPrint, its font configuration and the parsed stylesheet: loaded once per process (pango costs ~0.5 s)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return HTML, CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts), fonts


_render_lock = threading.Lock()


def html_to_pdf(html: str, *, styled: bool = True) -> bytes:
    html_class, stylesheet, fonts = _weasy()
    with _render_lock:  # the shared font configuration is not meant for concurrent use
        pdf: bytes = html_class(string=html).write_pdf(stylesheets=[stylesheet] if styled else None, font_config=fonts)
        return pdf


def render_receipt_pdf(receipt: Receipt) -> bytes:
    return html_to_pdf(render_to_string("receipts/receipt.html", receipt_context(receipt)))


def render_cancellation_pdf(receipt: Receipt) -> bytes:
    return html_to_pdf(render_to_string("receipts/cancellation.html", receipt_context(receipt)))


def pdf_filename(receipt: Receipt, cancellation: bool = False) -> str:
    prefix = "annulation-recu" if cancellation else "recu-fiscal"
    return f"{prefix}-{receipt.reference}.pdf"
