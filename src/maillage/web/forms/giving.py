"""Forms of the giving pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms

MAX_TURNOVER = Decimal("1e12")  # beyond any company's turnover: a typing error


class TurnoverForm(forms.Form):
    turnover = forms.CharField(
        label="Chiffre d'affaires annuel hors taxes (€)",
        max_length=20,
        help_text="ex. « 1 500 000 » ; le même chiffre sert pour chaque année des dons.",
    )

    def clean_turnover(self) -> Decimal:
        raw = self.cleaned_data["turnover"]
        text = raw.replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace("€", "").replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                f"« {raw[:20]} » n'est pas un montant : écrivez par exemple 1 500 000."
            ) from None
        if not value.is_finite() or value < 0 or value > MAX_TURNOVER:
            raise forms.ValidationError("Indiquez un chiffre d'affaires positif, en euros.")
        return value
