"""Forms of the alliance pages: parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from datetime import date
from typing import cast

from django import forms as djforms

from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import (
    AgreementKind,
    Form,
    InteractionKind,
    PartyRole,
    TerritoryLevel,
)
from maillage.contributions.models import Kind, Status, ValuationMethod

SKILLS_ROWS = 3
COUNTERPART_ROWS = 3
MAX_ROWS = 24


class DateInput(djforms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date(label: str, required: bool = False, help_text: str = "") -> djforms.DateField:
    return djforms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=help_text,
        error_messages={"invalid": "Date invalide : utilisez le format JJ/MM/AAAA."},
    )


class AllianceForm(djforms.Form):
    name = djforms.CharField(label="Nom de l'alliance", max_length=200)
    purpose = djforms.CharField(
        label="Objet", required=False, max_length=5000, widget=djforms.Textarea(attrs={"rows": 3})
    )
    forms = djforms.MultipleChoiceField(
        label="Formes de l'alliance",
        choices=Form.choices,
        widget=djforms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins une forme d'alliance."},
    )
    own_role = djforms.ChoiceField(
        label="Rôle de votre organisation", choices=PartyRole.choices, initial=PartyRole.LEAD
    )
    own_commitment = djforms.CharField(
        label="Engagement de votre organisation",
        required=False,
        max_length=3000,
        widget=djforms.Textarea(attrs={"rows": 2}),
    )
    territory_level = djforms.ChoiceField(
        label="Échelle du territoire", required=False, choices=[("", "—"), *TerritoryLevel.choices]
    )
    territory_code = djforms.CharField(
        label="Code du territoire",
        required=False,
        max_length=9,
        help_text="Code INSEE de la commune (69123), SIREN de l'intercommunalité, numéro du département (69) "
        "ou code de la région (84) ; son nom est retrouvé dans le référentiel officiel.",
    )
    starts_on = _date("Début")
    ends_on = _date("Fin")


class AllianceEditForm(AllianceForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["own_role"]
        del self.fields["own_commitment"]


def parse_partners(data) -> tuple[list[tuple[int, str, str]], list[str]]:
    """The partner rows of the creation form: (organisation id, role, commitment), and French errors."""
    rows, errors, seen = [], [], set()
    for raw in data.getlist("partner")[:MAX_ROWS]:
        if not str(raw).isdigit() or len(str(raw)) > 18:
            errors.append("Partenaire invalide : choisissez-le dans la liste de l'annuaire.")
            continue
        pk = int(raw)
        if pk in seen:
            continue
        seen.add(pk)
        role = data.get(f"role_{pk}", PartyRole.PARTNER)
        commitment = (data.get(f"commitment_{pk}") or "").strip()[:3000]
        rows.append((pk, role, commitment))
    return rows, errors


class MoveForm(djforms.Form):
    to_stage = djforms.ChoiceField(label="Nouvelle étape", choices=Stage.choices)
    reason = djforms.CharField(
        label="Pourquoi", required=False, max_length=2000, widget=djforms.Textarea(attrs={"rows": 2})
    )


class InvitePartyForm(djforms.Form):
    party = djforms.IntegerField(widget=djforms.HiddenInput)
    email = djforms.EmailField(
        label="E-mail du destinataire (facultatif)",
        required=False,
        help_text="Les administrateurs de son espace sont prévenus de toute façon.",
    )


class AllianceNoteForm(djforms.Form):
    text = djforms.CharField(label="Note privée", max_length=5000, widget=djforms.Textarea(attrs={"rows": 3}))


class SettingsForm(djforms.Form):
    cold_after_days = djforms.IntegerField(
        label="Une relation refroidit après (jours sans échange)",
        min_value=1,
        max_value=3650,
        error_messages={
            "min_value": "Indiquez au moins 1 jour.",
            "max_value": "Indiquez au plus 3 650 jours (10 ans).",
            "invalid": "Indiquez un nombre entier de jours.",
            "required": "Indiquez un nombre de jours.",
        },
    )


class InteractionForm(djforms.Form):
    kind = djforms.ChoiceField(label="Type d'échange", choices=InteractionKind.choices)
    occurred_on = _date("Date", required=True)
    duration_minutes = djforms.IntegerField(
        label="Durée (minutes)",
        min_value=0,
        error_messages={
            "min_value": "La durée doit être positive ou nulle.",
            "invalid": "Indiquez une durée en minutes (nombre entier).",
        },
    )
    subject = djforms.CharField(label="Objet", required=False, max_length=200)
    notes = djforms.CharField(
        label="Compte rendu", required=False, max_length=10000, widget=djforms.Textarea(attrs={"rows": 4})
    )
    contacts = djforms.MultipleChoiceField(
        label="Vos contacts présents (privés à votre espace)",
        required=False,
        widget=djforms.CheckboxSelectMultiple,
        choices=[],
    )

    def __init__(self, *args, parties=(), contacts=(), own_party=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(djforms.ChoiceField, self.fields["contacts"]).choices = [
            (str(c.pk), f"{c.name} ({c.organization.name})") for c in contacts
        ]
        if not cast(djforms.ChoiceField, self.fields["contacts"]).choices:
            del self.fields["contacts"]
        self.party_fields = []
        for party in parties:
            name = f"people_{party.pk}"
            self.fields[name] = djforms.IntegerField(
                label=f"Personnes présentes : {party.organization.name}",
                min_value=0,
                max_value=500,
                initial=1 if own_party is not None and party.pk == own_party.pk else 0,
                required=False,
                error_messages={
                    "min_value": "Nombre de personnes négatif.",
                    "max_value": "500 personnes au plus.",
                    "invalid": "Indiquez un nombre entier de personnes.",
                },
            )
            self.party_fields.append((party, name))

    def attendance(self) -> dict[int, int]:
        return {party.pk: self.cleaned_data.get(name) or 0 for party, name in self.party_fields}


class AgreementForm(djforms.Form):
    kind = djforms.ChoiceField(label="Type d'accord", choices=AgreementKind.choices)
    title = djforms.CharField(label="Intitulé", max_length=200)
    signed_on = _date("Signée le", required=True)
    duration_months = djforms.IntegerField(
        label="Durée (mois)",
        required=False,
        error_messages={"invalid": "Indiquez une durée en mois (nombre entier)."},
    )
    amount = djforms.DecimalField(
        label="Montant (€)",
        required=False,
        max_digits=14,
        decimal_places=2,
        error_messages={"invalid": "Indiquez un montant en euros (ex. 1200,50)."},
    )
    renewal_on = _date("À renouveler le", help_text="Un rappel est prévu à l'approche de cette date.")
    file = djforms.FileField(
        label="Document signé (PDF, 10 Mo au plus)",
        required=False,
        widget=djforms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class ContributionForm(djforms.Form):
    giver = djforms.IntegerField(label="Qui donne", widget=djforms.Select)
    receiver = djforms.IntegerField(label="Qui reçoit", widget=djforms.Select)
    kind = djforms.ChoiceField(label="Nature", choices=Kind.choices)
    description = djforms.CharField(label="Description", max_length=500)
    value = djforms.CharField(
        label="Valeur (€)",
        required=False,
        max_length=30,
        help_text="Pour un don financier, en nature ou une prestation. Calculée pour les compétences et le bénévolat.",
    )
    valuation_method = djforms.ChoiceField(
        label="Méthode de valorisation",
        required=False,
        choices=[("", "Selon la nature (par défaut)"), *ValuationMethod.choices],
    )
    status = djforms.ChoiceField(label="Statut", choices=Status.choices, initial=Status.PROMISED)
    promised_on = _date("Promise le")
    received_on = _date("Reçue le")
    evidence = djforms.CharField(
        label="Justificatifs", required=False, max_length=2000, widget=djforms.Textarea(attrs={"rows": 2})
    )
    hours = djforms.CharField(label="Heures de bénévolat", required=False, max_length=20)
    hourly_rate = djforms.CharField(label="Taux horaire retenu (€)", required=False, max_length=20)
    signed_timesheet = djforms.BooleanField(label="Liste des jours signée par les deux parties", required=False)

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(p.pk, f"{p.organization.name} ({p.get_role_display()})") for p in parties]
        for name in ("giver", "receiver"):
            self.fields[name].widget.choices = choices
            self.fields[name].error_messages["required"] = "Choisissez une organisation partie à l'alliance."
            self.fields[name].error_messages["invalid"] = "Choisissez une organisation partie à l'alliance."


def parse_month(raw: str) -> date | None:
    """``2026-03``, ``2026-03-01`` or ``03/2026`` → the first day of that month; None when unreadable."""
    raw = (raw or "").strip()
    try:
        if "/" in raw:
            month, year = raw.split("/")[-2:]
            return date(int(year), int(month), 1)
        parts = raw.split("-")
        return date(int(parts[0]), int(parts[1]), 1)
    except (ValueError, IndexError):
        return None


def row_count(data, prefix: str, default: int) -> int:
    """How many line rows to show: the default, or as many as were posted (capped)."""
    indexes = [
        int(key[len(prefix) :].split("_")[0])
        for key in data
        if key.startswith(prefix) and key[len(prefix) :].split("_")[0].isdigit()
    ]
    return min(max([default, *[i + 1 for i in indexes]]), MAX_ROWS)


class ReceiveForm(djforms.Form):
    received_on = _date("Reçue le", required=True)


class CounterpartForm(djforms.Form):
    description = djforms.CharField(label="Contrepartie", max_length=300)
    value = djforms.CharField(label="Valeur (€)", max_length=30)


class HandOverForm(djforms.Form):
    party = djforms.IntegerField(label="Nouvelle organisation pilote")
    reason = djforms.CharField(label="Pourquoi (facultatif)", required=False, max_length=2000)


class ProposeStageForm(djforms.Form):
    to_stage = djforms.ChoiceField(label="Étape proposée", choices=Stage.choices)
    reason = djforms.CharField(label="Pourquoi", required=False, max_length=2000)


class AnswerForm(djforms.Form):
    answer = djforms.CharField(label="Votre réponse", required=False, max_length=2000)
