"""Forms of the matching pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from typing import cast

from django import forms

from maillage.matching.models import (
    AlertSubscription,
    GoodsType,
    ItemKind,
    SkillDomain,
    TerritoryLevel,
)
from maillage.organizations.models import Cause


class ItemForm(forms.Form):
    title = forms.CharField(
        label="Intitulé", max_length=200, help_text="Court et concret : ce qui est cherché ou proposé"
    )
    kind = forms.ChoiceField(label="Type", choices=ItemKind.choices)
    skill_domain = forms.ChoiceField(
        label="Domaine de compétences", required=False, choices=[("", "—"), *SkillDomain.choices]
    )
    skill_domains = forms.MultipleChoiceField(
        label="Domaines de compétences",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=SkillDomain.choices,
    )
    goods_type = forms.ChoiceField(label="Type de bien", required=False, choices=[("", "—"), *GoodsType.choices])
    goods_types = forms.MultipleChoiceField(
        label="Types de biens", required=False, widget=forms.CheckboxSelectMultiple, choices=GoodsType.choices
    )
    hours = forms.IntegerField(label="Heures", required=False, min_value=1, max_value=10000)
    hours_per_year = forms.IntegerField(label="Heures par an", required=False, min_value=1, max_value=100000)
    amount = forms.DecimalField(label="Montant recherché (€)", required=False, min_value=0, decimal_places=2)
    budget = forms.DecimalField(label="Budget (€)", required=False, min_value=0, decimal_places=2)
    causes = forms.MultipleChoiceField(label="Causes", widget=forms.CheckboxSelectMultiple, choices=[])
    territory_level = forms.ChoiceField(label="Échelle du territoire", choices=TerritoryLevel.choices)
    territory_code = forms.CharField(
        label="Code du territoire",
        max_length=9,
        required=False,
        help_text="Code INSEE de la commune, SIREN de l'EPCI, numéro du département ou code de la région ; "
        "vide : celui de votre organisation",
    )
    starts_on = forms.DateField(label="Début", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Fin", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(
        label="Date limite de dépôt", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    url = forms.CharField(label="Page de l'appel", max_length=200, required=False)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    publish = forms.BooleanField(label="Publier tout de suite (visible des autres espaces)", required=False)

    FIELDS = {
        "need": ["title", "kind", "skill_domain", "goods_type", "hours", "amount", "causes", "territory_level", "territory_code",
                 "starts_on", "ends_on", "description"],
        "offer": ["title", "kind", "skill_domains", "goods_types", "hours_per_year", "budget", "causes", "territory_level",
                  "territory_code", "starts_on", "ends_on", "description"],
        "call": ["title", "budget", "deadline", "url", "causes", "territory_level", "territory_code", "starts_on",
                 "ends_on", "description"],
    }  # fmt: skip

    def __init__(self, *args, item_type: str, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["causes"]).choices = [(c.code, c.label) for c in Cause.objects.all()]
        keep = self.FIELDS[item_type] + ([] if editing else ["publish"])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if item_type == "offer":
            self.fields["budget"].label = "Budget de mécénat (€ par an)"
        if item_type == "call":
            self.fields["budget"].label = "Enveloppe (€)"
        if item_type == "offer":
            self.fields["causes"].required = False
            self.fields["causes"].help_text = "Facultatif : une offre peut convenir à toutes les causes"
        if item_type == "need":
            self.fields["hours"].help_text = "Pour des compétences : le temps dont vous avez besoin"


class AlertForm(forms.Form):
    active = forms.BooleanField(label="Recevoir les alertes par e-mail", required=False)
    frequency = forms.ChoiceField(label="Fréquence", choices=AlertSubscription.Frequency.choices)
    min_score = forms.IntegerField(
        label="Score minimal", min_value=0, max_value=100, help_text="Seules les suggestions de ce score ou plus"
    )
