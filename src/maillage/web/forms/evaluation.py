"""Forms of the evaluation pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from maillage.core import formats
from maillage.evaluation import actions
from maillage.evaluation.models import (
    NOT_KNOWN,
    Impact,
    Measure,
    QuestionKind,
)

NSP = "__nsp"  # suffix of the « ne sait pas / non applicable » box beside a number


class OpenEvaluationForm(forms.Form):
    alliance = forms.TypedChoiceField(label="Alliance évaluée", coerce=int, choices=[])
    period_label = forms.CharField(
        label="Période", max_length=100, help_text="Par exemple « Année 2025 » ou « Fin du projet potager »"
    )
    period_start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="Au", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, alliances, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["alliance"]).choices = [(a.pk, a.name) for a in alliances]


class AnswerForm(forms.Form):
    """One field per question of the party's variant, and one per objective it reports on; values are checked by
    the action (French messages). Every scale offers « ne sait pas / non applicable », every number a box for it."""

    def __init__(self, questions, *args: Any, objectives=(), disabled: bool = False, **kwargs: Any):
        initial = dict(kwargs.pop("initial", None) or {})
        for key, value in list(initial.items()):
            if value == NOT_KNOWN and not any(q.code == key and q.kind == QuestionKind.SCALE for q in questions):
                initial[key], initial[key + NSP] = "", True
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.objectives = list(objectives)
        for q in questions:
            if q.kind == QuestionKind.SCALE:
                choices = [(str(i), f"{i} – {label}") for i, label in enumerate(q.scale_labels, start=1)]
                choices.append((NOT_KNOWN, "Ne sait pas / non applicable"))
                field = forms.Field(label=q.text, required=False, widget=forms.RadioSelect(choices=choices))
            elif q.kind == QuestionKind.NUMBER:
                field = forms.Field(
                    label=q.text,
                    required=False,
                    widget=forms.NumberInput(attrs={"min": q.min_value, "max": q.max_value, "step": "1"}),
                    help_text=f"En {q.unit}, de {q.min_value} à {formats.amount(q.max_value, 0)}",
                )
                self._not_known_box(q.code, disabled)
            else:
                field = forms.Field(
                    label=q.text, required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000})
                )
            field.disabled = disabled
            if q.help_text:
                field.help_text = q.help_text
            self.fields[q.code] = field
        for o in self.objectives:
            key = f"{actions.OBJECTIVE_PREFIX}{o.pk}"
            owner = "Objectif commun" if o.party_id is None else "Votre objectif"
            field = forms.Field(
                label=f"{owner} : {o.title} — {o.indicator} ({o.unit})",
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                help_text=(
                    f"Valeur atteinte sur la période. Départ : {formats.amount(o.baseline, 0)} {o.unit} ; "
                    f"cible : {formats.amount(o.target, 0)} {o.unit} (du {o.period_start:%d/%m/%Y} au "
                    f"{o.period_end:%d/%m/%Y})."
                ),
            )
            field.disabled = disabled
            self.fields[key] = field
            self._not_known_box(key, disabled)

    def _not_known_box(self, key: str, disabled: bool) -> None:
        box = forms.BooleanField(label="Ne sait pas / non applicable", required=False)
        box.disabled = disabled
        self.fields[key + NSP] = box

    def groups(self):
        def with_box(code):
            return [self[code]] + ([self[code + NSP]] if code + NSP in self.fields else [])

        groups = [
            (impact.label, [f for q in self.questions if q.impact == impact for f in with_box(q.code)])
            for impact in Impact
            if any(q.impact == impact for q in self.questions)
        ]
        if self.objectives:
            keys = [f"{actions.OBJECTIVE_PREFIX}{o.pk}" for o in self.objectives]
            groups.insert(0, ("Vos objectifs et l'objectif commun", [f for k in keys for f in with_box(k)]))
        return groups


class LinkForm(forms.Form):
    party = forms.TypedChoiceField(label="Partie sans espace Maillage", coerce=int, choices=[])
    email = forms.EmailField(label="E-mail de la personne qui répond pour elle", max_length=254)

    def __init__(self, parties, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["party"]).choices = [(p.pk, p.organization.name) for p in parties]


class ObjectiveForm(forms.Form):
    common_good = forms.TypedChoiceField(
        label="Objectif de",
        coerce=lambda v: v == "1",
        choices=[("0", "Notre organisation"), ("1", "L'alliance : objectif commun d'intérêt général")],
        initial="0",
    )
    title = forms.CharField(label="Objectif", max_length=300, help_text="Par exemple « Rompre l'isolement des aînés »")
    indicator = forms.CharField(
        label="Indicateur", max_length=200, help_text="Par exemple « Aînés visités chaque mois »"
    )
    unit = forms.CharField(label="Unité", max_length=30, help_text="personnes, heures, €, %…")
    baseline = forms.CharField(label="Valeur de départ", max_length=20)
    target = forms.CharField(label="Cible", max_length=20)
    period_start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="Au", widget=forms.DateInput(attrs={"type": "date"}))
    measure = forms.ChoiceField(label="Rapprocher d'un chiffre mesuré", choices=Measure.choices, required=False)
