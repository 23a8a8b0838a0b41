"""Forms of the workspaces pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms

from maillage.core.roles import Role
from maillage.workspaces.models import (
    EvidenceKind,
)


class JoinDecisionForm(forms.Form):
    role = forms.ChoiceField(label="Rôle accordé", choices=Role.choices, initial=Role.MEMBER)


class JoinRefusalForm(forms.Form):
    reason = forms.CharField(label="Motif (facultatif, envoyé au demandeur)", max_length=500, required=False)


class ClaimForm(forms.Form):
    evidence_kind = forms.ChoiceField(label="Type de justificatif", choices=EvidenceKind.choices)
    evidence = forms.FileField(
        label="Justificatif (PDF, PNG ou JPEG, 5 Mo au plus)",
        help_text="Récépissé de déclaration en préfecture, extrait Kbis, page du JOAFE ou délibération.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )
    statement = forms.CharField(
        label="Qui êtes-vous dans l'organisation ?",
        help_text="Votre fonction ou mandat, et tout ce qui aide l'opérateur à vérifier (2 000 caractères au plus).",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
