"""Forms of the proposals pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms

from maillage.alliances.models import Form
from maillage.proposals import actions


class ProposalForm(forms.Form):
    proposer_name = forms.CharField(label="Votre organisation", max_length=200)
    proposer_kind = forms.ChoiceField(
        label="Type d'organisation", choices=[(k.value, k.label) for k in actions.PROPOSER_KINDS]
    )
    proposer_siren = forms.CharField(label="SIREN (facultatif)", max_length=11, required=False)
    contact_name = forms.CharField(label="Votre nom", max_length=150)
    email = forms.EmailField(label="Votre e-mail", max_length=254)
    phone = forms.CharField(label="Téléphone (facultatif)", max_length=30, required=False)
    kinds = forms.MultipleChoiceField(
        label="Formes de partenariat envisagées",
        choices=Form.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    message = forms.CharField(
        label="Votre proposition", max_length=3000, widget=forms.Textarea(attrs={"rows": 6, "maxlength": 3000})
    )
    # Honeypot: hidden to people by CSS (class « honeypot »), filled by robots.
    website = forms.CharField(
        label="Ne remplissez pas ce champ",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
