"""Forms of the records pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms as djforms

from maillage.alliances.models import InteractionKind
from maillage.web.forms.alliances import (
    AgreementForm,
    InteractionForm,
    _date,
)


class CorrectionForm(djforms.Form):
    description = djforms.CharField(label="Description", max_length=500)
    value = djforms.CharField(
        label="Valeur (€)", max_length=20, required=False, help_text="dons financiers, en nature et prestations"
    )
    hours = djforms.CharField(label="Heures (bénévolat)", max_length=20, required=False)
    hourly_rate = djforms.CharField(label="Taux horaire (€, bénévolat)", max_length=20, required=False)
    promised_on = _date("Promise le")
    received_on = _date("Reçue le")
    signed_timesheet = djforms.BooleanField(
        label="Liste des jours signée par les deux parties (compétences)", required=False
    )
    evidence = djforms.CharField(
        label="Justificatifs", max_length=2000, required=False, widget=djforms.Textarea(attrs={"rows": 2})
    )
    reason = djforms.CharField(label="Pourquoi cette correction", max_length=500, required=False)


class InteractionCorrectionForm(djforms.Form):
    kind = djforms.ChoiceField(label="Type d'échange", choices=InteractionKind.choices)
    occurred_on = _date("Date", required=True)
    duration_minutes = InteractionForm.base_fields["duration_minutes"]
    subject = djforms.CharField(label="Objet", required=False, max_length=200)
    notes = djforms.CharField(
        label="Compte rendu", required=False, max_length=10000, widget=djforms.Textarea(attrs={"rows": 4})
    )
    reason = djforms.CharField(label="Pourquoi cette correction", max_length=500, required=False)


class AgreementCorrectionForm(djforms.Form):
    kind = AgreementForm.base_fields["kind"]
    title = AgreementForm.base_fields["title"]
    signed_on = _date("Signée le", required=True)
    duration_months = AgreementForm.base_fields["duration_months"]
    amount = AgreementForm.base_fields["amount"]
    renewal_on = _date("À renouveler le", help_text="Un rappel est prévu à l'approche de cette date.")
    reason = djforms.CharField(label="Pourquoi cette correction", max_length=500, required=False)
