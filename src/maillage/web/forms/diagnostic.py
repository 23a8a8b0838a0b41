"""Forms of the diagnostic pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms

from maillage.diagnostic.models import Source

HUMAN_FIELDS = [
    ("employees_fte", "Salariés (équivalents temps plein)"),
    ("volunteers", "Bénévoles (nombre de personnes)"),
    ("volunteer_hours", "Heures de bénévolat dans l'année"),
    ("skills_received_hours", "Heures de compétences reçues (mécénat de compétences)"),
    ("skills_received_value", "Valeur de ces compétences (€)"),
]

ACCOUNT_FIELDS = [
    ("expenses", "Charges de l'exercice (€)"),
    ("reserves", "Fonds propres / réserves en fin d'exercice (€, négatif si déficits cumulés)"),
    ("cash", "Trésorerie en fin d'exercice (€)"),
    ("volunteer_value", "Valorisation du bénévolat inscrite aux comptes 86/87 (€, vide : heures × SMIC)"),
]


class YearForm(forms.Form):
    """Raw inputs; the action checks them and answers in French (field by field)."""

    notes = forms.CharField(label="Remarques", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = {"inputmode": "decimal"}
        for source in Source:
            self.fields[source.value] = forms.CharField(
                label=f"{source.label} (€)", required=False, widget=forms.TextInput(attrs=number)
            )
        for name, label in HUMAN_FIELDS:
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=number))
        for name, label in ACCOUNT_FIELDS:
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=number))
        self.fields["closes_on"] = forms.CharField(
            label="Date de clôture de l'exercice (vide : 31 décembre)",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["funders"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.order_fields(
            ["closes_on", *Source.values, *[n for n, _ in ACCOUNT_FIELDS], *[n for n, _ in HUMAN_FIELDS], "notes"]
        )

    def resource_fields(self):
        return [self[s] for s in Source.values]

    def account_fields(self):
        return [self["closes_on"], *[self[n] for n, _ in ACCOUNT_FIELDS]]

    def human_fields(self):
        return [self[n] for n, _ in HUMAN_FIELDS]
