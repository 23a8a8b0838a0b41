"""Steps of the account journeys shared by the browser tests: proving one's address from the e-mail received."""

from __future__ import annotations

import re

from django.core import mail


def last_mail_to(address: str, subject: str):
    found = [m for m in mail.outbox if m.to == [address] and m.subject == subject]
    assert found, [(m.to, m.subject) for m in mail.outbox]
    return found[-1]


def prove_address(page, email: str) -> None:
    """Open the proof link of the last e-mail sent to ``email`` in ``page`` (logged in) and confirm."""
    from playwright.sync_api import expect

    message = last_mail_to(email, "Confirmez votre adresse e-mail sur Maillage")
    url = re.search(r"https?://\S+/compte/verification/\S+/", message.body).group(0)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer votre adresse e-mail")
    page.get_by_role("button", name="Confirmer mon adresse").click()
    expect(page.get_by_text("Merci, votre adresse est confirmée.")).to_be_visible()
    expect(page.get_by_text("Confirmez votre adresse e-mail.")).to_have_count(0)
