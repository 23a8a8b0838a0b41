"""Forms of the receipts pages: input parsing and French messages only; the rules live in the domain actions."""

from __future__ import annotations

from django import forms

from maillage.receipts.models import (
    EvidenceKind,
    GiftForm,
    LegalStatus,
    PaymentMethod,
)

PAYMENT_CHOICES = [
    (PaymentMethod.TRANSFER, "Virement, prélèvement, carte bancaire"),
    (PaymentMethod.CHEQUE, "Chèque"),
    (PaymentMethod.CASH, "Remise d'espèces"),
]


class EligibilityForm(forms.Form):
    status = forms.ChoiceField(label="Statut de l'organisme", choices=LegalStatus.choices)
    art_200 = forms.BooleanField(label="Article 200 du CGI : dons des particuliers", required=False)
    art_238_bis = forms.BooleanField(label="Article 238 bis du CGI : dons des entreprises", required=False)
    art_978 = forms.BooleanField(label="Article 978 du CGI : dons au titre de l'IFI", required=False)
    evidence_kind = forms.ChoiceField(label="Justificatif", choices=EvidenceKind.choices)
    evidence_reference = forms.CharField(label="Référence du rescrit ou du décret", max_length=200, required=False)
    evidence_date = forms.DateField(
        label="Date du rescrit ou du décret", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    helps_people_in_difficulty = forms.BooleanField(
        label="L'association fournit gratuitement des repas, des soins ou un logement à des personnes en difficulté (taux de 75 % / 60 % au-delà de 2 M€)",
        required=False,
    )
    purpose = forms.CharField(label="Objet de l'organisme", max_length=500)
    fiscal_year_closing = forms.CharField(
        label="Clôture de l'exercice (JJ/MM)",
        max_length=5,
        initial="31/12",
        required=False,
        help_text="La déclaration annuelle (art. 222 bis) porte sur le dernier exercice clos.",
    )
    address = forms.CharField(label="Adresse de l'organisme", max_length=300)
    signatory_name = forms.CharField(label="Nom du signataire", max_length=150)
    signatory_role = forms.CharField(
        label="Qualité du signataire", max_length=150, help_text="ex. Présidente, Trésorier"
    )
    signature_image = forms.FileField(
        label="Signature scannée (PNG ou JPEG)",
        required=False,
        help_text="Obligatoire pour émettre des reçus : chaque reçu porte la signature du signataire.",
    )
    remove_signature = forms.BooleanField(label="Retirer la signature scannée", required=False)


class IndividualGiftForm(forms.Form):
    donor_name = forms.CharField(label="Nom et prénom du donateur", max_length=200)
    donor_address = forms.CharField(label="Adresse du donateur", max_length=300)
    donor_email = forms.EmailField(label="E-mail du donateur (pour lui envoyer le reçu)", required=False)
    amount = forms.CharField(label="Montant (€)", max_length=20)
    received_on = forms.DateField(label="Reçu le", widget=forms.DateInput(attrs={"type": "date"}))
    payment_method = forms.ChoiceField(label="Mode de versement", choices=[("", "—"), *PAYMENT_CHOICES], required=False)
    in_kind = forms.BooleanField(label="Don en nature (bien)", required=False)
    listed_securities = forms.BooleanField(label="Don de titres de sociétés cotés", required=False)
    description = forms.CharField(
        label="Description et valorisation du bien ou des titres (don en nature ou de titres)",
        max_length=500,
        required=False,
    )
    gift_form = forms.ChoiceField(
        label="Forme du don", choices=GiftForm.choices, initial=GiftForm.MANUAL, required=False
    )
    counterparts_value = forms.CharField(
        label="Valeur des contreparties remises (€)",
        max_length=20,
        required=False,
        help_text="25 % du don au plus, et 73 € par donateur et par an (BOI-IR-RICI-250-10-20-10).",
    )
    counterparts_description = forms.CharField(label="Contreparties remises", max_length=300, required=False)


class IssueForm(forms.Form):
    contribution = forms.IntegerField(required=False, widget=forms.HiddenInput)
    individual_gift = forms.IntegerField(required=False, widget=forms.HiddenInput)
    legal_form = forms.CharField(
        label="Forme juridique du donateur", max_length=100, required=False, help_text="SAS, SARL, SA…"
    )
    payment_method = forms.ChoiceField(label="Mode de versement", choices=[("", "—"), *PAYMENT_CHOICES], required=False)
    street = forms.CharField(label="Adresse de l'entreprise (numéro, voie)", max_length=200, required=False)
    gift_form = forms.ChoiceField(label="Forme du don", choices=[("", "—"), *GiftForm.choices], required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    correct = forms.BooleanField(label="Émettre aussitôt un reçu rectificatif (nouveau numéro)", required=False)


class SimulationForm(forms.Form):
    donor = forms.ChoiceField(
        label="Donateur", choices=[("company", "Entreprise (art. 238 bis)"), ("individual", "Particulier (art. 200)")]
    )
    rows = forms.CharField(
        label="Années : année ; chiffre d'affaires HT (entreprise) ou revenu imposable (particulier) ; dons ; dont dons aux organismes d'aide aux personnes en difficulté",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Une ligne par année (entreprise : année de clôture de l'exercice), ex. « 2025 ; 1 500 000 ; 30 000 ; 0 ». Les années se suivent.",
    )
    closing = forms.CharField(
        label="Date de clôture de l'exercice (entreprise, JJ/MM)",
        required=False,
        max_length=5,
        help_text="Ex. « 30/06 » ; 31/12 si vide. Les plafonds dépendent de la date de clôture.",
    )
    dated = forms.CharField(
        label="Dons datés (particulier) : date ; montant ; « aide » pour un organisme d'aide aux personnes en difficulté",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ex. « 01/12/2025 ; 1 800 ; aide ». Ajoutés aux dons de leur année (le plafond de 75 % dépend de la date du don).",
    )
    opening = forms.CharField(
        label="Excédents reportés à l'ouverture : année d'origine ; montant",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ex. « 2021 ; 5 000 » : excédent de 2021 pas encore imputé.",
    )
