"""Forms of the operators pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus (envoyé au demandeur)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ex. : « Le Kbis joint est celui d'une autre société » ; 5 caractères au moins.",
    )
