"""Tax receipts (reçus fiscaux) and what they rest on: the issuer's eligibility, gifts of individuals, the per-year
counters that number them, and the runs of batch issue.

A receipt is never edited nor deleted: :meth:`Receipt.save` refuses any change to an issued receipt except its
cancellation, and deletion is refused everywhere but in the retention purge (after 6 years, see ``purge.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from maillage.core import formats
from maillage.core.tenancy import WorkspaceScopedQuerySet


class LegalStatus(models.TextChoices):
    GENERAL_INTEREST = "interet_general", "Œuvre ou organisme d'intérêt général"
    PUBLIC_UTILITY = "utilite_publique", "Association ou fondation reconnue d'utilité publique"
    FOUNDATION = "fondation", "Fondation d'entreprise ou fonds de dotation"
    CULT = "culte", "Association cultuelle ou de bienfaisance"
    OTHER = "autre", "Autre organisme mentionné aux art. 200 / 238 bis du CGI"


class EvidenceKind(models.TextChoices):
    RESCRIT = "rescrit", "Rescrit fiscal (art. L. 80 C du LPF)"
    DECREE = "decret", "Décret de reconnaissance d'utilité publique"
    SELF = "auto", "Auto-évaluation (sans rescrit)"


class Eligibility(models.Model):
    """The issuer's right to issue receipts: without it, no receipt."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.PROTECT, related_name="receipt_eligibility"
    )
    status = models.CharField("statut", max_length=20, choices=LegalStatus.choices)
    art_200 = models.BooleanField("article 200 du CGI (particuliers)", default=True)
    art_238_bis = models.BooleanField("article 238 bis du CGI (entreprises)", default=True)
    art_978 = models.BooleanField("article 978 du CGI (IFI)", default=False)
    evidence_kind = models.CharField("justificatif", max_length=10, choices=EvidenceKind.choices)
    evidence_reference = models.CharField("référence du justificatif", max_length=200, blank=True)
    evidence_date = models.DateField("date du justificatif", null=True, blank=True)
    helps_people_in_difficulty = models.BooleanField(
        "fournit gratuitement repas, soins ou logement à des personnes en difficulté", default=False
    )
    purpose = models.CharField("objet de l'organisme", max_length=500)
    fiscal_year_closing = models.CharField(
        "clôture de l'exercice (JJ/MM)", max_length=5, default="31/12", help_text="Ex. 31/12, 30/06."
    )
    address = models.CharField("adresse", max_length=300)
    signatory_name = models.CharField("signataire", max_length=150)
    signatory_role = models.CharField("qualité du signataire", max_length=150)
    signature_image = models.FileField("signature scannée (PNG ou JPEG)", upload_to="signatures/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = "habilitation à émettre des reçus"

    def __str__(self) -> str:
        return f"Habilitation de {self.organization}"

    def last_closing(self, today: date) -> date:
        """The closing date of the last fiscal year closed on or before ``today``."""
        return last_closing(self.fiscal_year_closing, today)

    @property
    def articles(self) -> list[str]:
        return [a for a, on in (("200", self.art_200), ("238 bis", self.art_238_bis), ("978", self.art_978)) if on]


class PaymentMethod(models.TextChoices):
    CASH = "especes", "Remise d'espèces"
    CHEQUE = "cheque", "Chèque"
    TRANSFER = "virement", "Virement, prélèvement, carte bancaire"
    NONE = "", "Sans objet (don en nature ou de compétences)"


# What a money gift must say of how it was paid (the form's « Mode de versement » boxes).
MONEY_PAYMENT_METHODS = (PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.TRANSFER)


class GiftForm(models.TextChoices):
    """The « Forme du don » boxes of both forms (Cerfa 11580 and 16216)."""

    AUTHENTIC = "acte_authentique", "Acte authentique"
    PRIVATE_DEED = "seing_prive", "Acte sous seing privé"
    MANUAL = "don_manuel", "Déclaration de don manuel"
    OTHER = "autre", "Autres"


class Donor(models.Model):
    """An individual donor (a person), kept by one workspace, with the history of their gifts.

    Personal data (GDPR): ``full_name``, ``street``, ``postal_code``, ``city``, ``email`` identify a person; they are
    kept for the receipts' retention period and no longer.
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField("nom et prénom", max_length=200)
    street = models.CharField("adresse (numéro, voie)", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    email = models.EmailField("e-mail", blank=True)
    match_key = models.CharField(max_length=300, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = "donateur particulier"
        indexes = [models.Index(fields=["workspace", "match_key"], name="donor_match_idx")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def address(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postal_code} {self.city}".strip()) if p)


class CompanyDonorDetails(models.Model):
    """What a workspace knows of a donor company that the directory does not: its legal form and street address,
    printed on the 2041-MEC-SD (entered once, reused by later receipts and batches)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    legal_form = models.CharField("forme juridique", max_length=100, blank=True)
    street = models.CharField("adresse (numéro, voie)", max_length=200, blank=True)
    payment_method = models.CharField(
        "mode de versement habituel", max_length=10, choices=PaymentMethod.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "organization"], name="company_donor_details_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} : {self.legal_form} {self.street}"


class IndividualGift(models.Model):
    """A gift of a person (not an organisation of the directory), recorded outside alliances."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, null=True, blank=True, related_name="gifts")
    donor_name = models.CharField("nom et prénom du donateur", max_length=200)
    donor_address = models.CharField("adresse du donateur", max_length=300)
    donor_email = models.EmailField("e-mail du donateur", blank=True)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    received_on = models.DateField("reçu le")
    in_kind = models.BooleanField("don en nature", default=False)
    description = models.CharField("description (don en nature)", max_length=500, blank=True)
    payment_method = models.CharField("mode de versement", max_length=10, choices=PaymentMethod.choices, blank=True)
    listed_securities = models.BooleanField("titres de sociétés cotés", default=False)
    gift_form = models.CharField("forme du don", max_length=20, choices=GiftForm.choices, default=GiftForm.MANUAL)
    counterparts_value = models.DecimalField("valeur des contreparties (€)", max_digits=12, decimal_places=2, default=0)
    counterparts_description = models.CharField("contreparties remises", max_length=300, blank=True)
    import_key = models.CharField(max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="individual_gift_positive")]

    def __str__(self) -> str:
        return f"Don {formats.of(self.donor_name)} ({formats.money(self.amount)})"


class ReceiptForm(models.TextChoices):
    COMPANY = "2041-MEC-SD", "2041-MEC-SD (Cerfa 16216) : entreprise"
    INDIVIDUAL = "2041-RD", "2041-RD (Cerfa 11580) : particulier"


class Nature(models.TextChoices):
    MONEY = "numeraire", "Numéraire"
    SECURITIES = "titres", "Titres de sociétés cotés"
    IN_KIND = "nature", "En nature"
    SKILLS = "competences", "Mécénat de compétences"


class ReceiptCounter(models.Model):
    """The last number given by one issuer in one calendar year; locked while a receipt is numbered."""

    issuer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="receipt_counter_unique")]

    def __str__(self) -> str:
        return f"{self.year} : {self.last_number}"


class IssuerSnapshot(models.Model):
    """What a receipt says of its issuer (name, address, status, evidence, signatory), frozen when issued.

    Shared by every receipt issued under the same details (one row per distinct content), so that a batch of
    10,000 receipts does not store the same block 10,000 times.
    """

    issuer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "digest"], name="issuer_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.data.get('name', '')} ({self.digest[:8]})"


class ReceiptQuerySet(WorkspaceScopedQuerySet["Receipt"]):
    def delete(self) -> NoReturn:
        raise ValidationError("Un reçu fiscal ne se supprime pas : annulez-le en indiquant la raison.")

    def active(self) -> Self:
        return self.filter(cancelled_at__isnull=True)


# Only these fields may change once a receipt is issued (its cancellation).
CANCELLATION_FIELDS = frozenset({"cancelled_at", "cancel_reason", "cancelled_by", "emailed_at"})


class Receipt(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.PROTECT, related_name="+")
    issuer = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="issued_receipts")
    year = models.PositiveSmallIntegerField("année de numérotation")
    number = models.PositiveIntegerField("numéro d'ordre")
    reference = models.CharField("numéro", max_length=20)
    form = models.CharField("formulaire", max_length=12, choices=ReceiptForm.choices)
    cerfa = models.CharField("numéro Cerfa du modèle", max_length=12, blank=True)
    articles = models.CharField("articles du CGI", max_length=30, blank=True)
    gift_form = models.CharField("forme du don", max_length=20, choices=GiftForm.choices, blank=True)
    contribution = models.ForeignKey(
        "contributions.Contribution", on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    individual_gift = models.ForeignKey(
        IndividualGift, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    # What the receipt says, frozen when issued (the directory may change later, the receipt never).
    issuer_details = models.ForeignKey(IssuerSnapshot, on_delete=models.PROTECT, related_name="+")
    donor_name = models.CharField("donateur", max_length=200)
    donor_siren = models.CharField("SIREN du donateur", max_length=9, blank=True)
    donor_legal_form = models.CharField("forme juridique du donateur", max_length=100, blank=True)
    donor_address = models.CharField("adresse du donateur", max_length=300, blank=True)
    donor_email = models.EmailField("e-mail du donateur", blank=True)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    gift_date = models.DateField("date du don")
    nature = models.CharField("nature du don", max_length=12, choices=Nature.choices)
    payment_method = models.CharField("mode de versement", max_length=10, choices=PaymentMethod.choices, blank=True)
    description = models.CharField("description et valorisation", max_length=1000, blank=True)
    valuation_method = models.CharField("méthode de valorisation", max_length=100, blank=True)
    skills_detail = models.JSONField("salariés mis à disposition", default=list, blank=True)
    counterparts_value = models.DecimalField("valeur des contreparties (€)", max_digits=12, decimal_places=2)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", verbose_name="remplace"
    )
    issued_at = models.DateTimeField("émis le")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    retain_until = models.DateField("à conserver jusqu'au")
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    cancel_reason = models.CharField("motif d'annulation", max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = "reçu fiscal"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "number"], name="receipt_unique_number"),
            models.UniqueConstraint(
                fields=["contribution"],
                condition=Q(cancelled_at__isnull=True, contribution__isnull=False),
                name="receipt_one_active_per_contribution",
            ),
            models.UniqueConstraint(
                fields=["individual_gift"],
                condition=Q(cancelled_at__isnull=True, individual_gift__isnull=False),
                name="receipt_one_active_per_individual_gift",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["workspace", "year", "number"], name="receipt_workspace_idx"),
            models.Index(fields=["issuer", "gift_date"], name="receipt_issuer_gift_idx"),
        ]

    def __str__(self) -> str:
        return f"Reçu n° {self.reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= CANCELLATION_FIELDS:
                raise ValidationError(
                    "Un reçu fiscal émis ne se modifie pas : annulez-le (avec la raison) et émettez un reçu rectificatif."
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValidationError("Un reçu fiscal ne se supprime pas : annulez-le en indiquant la raison.")

    @property
    def issuer_snapshot(self) -> dict[str, Any]:
        data: dict[str, Any] = self.issuer_details.data
        return data

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_retained(self) -> bool:
        from django.utils import timezone

        return timezone.localdate() <= self.retain_until


def receipt_reference(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


class BatchStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


class BatchRun(models.Model):
    """One batch issue of a year's receipts: its progress, read by a polled page fragment."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("année des dons")
    send_emails = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    total = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    emailed = models.PositiveIntegerField(default=0)
    messages = models.JSONField(default=list)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Lot {self.year} ({self.get_status_display()})"

    @property
    def done(self) -> int:
        return self.issued + self.skipped

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def parse_closing(text: str) -> tuple[int, int]:
    """« 30/06 » → (30, 6); ValueError in French when it is not a day of the year (29/02 refused: not every year)."""
    try:
        day, month = (int(p) for p in (text or "").strip().split("/"))
        date(2023, month, day)
    except (ValueError, TypeError):
        raise ValueError(f"« {text} » n'est pas une date de clôture (JJ/MM, ex. 31/12 ou 30/06).") from None
    return day, month


def closing_in(year: int, closing: str) -> date:
    day, month = parse_closing(closing)
    return date(year, month, day)


def last_closing(closing: str, today: date) -> date:
    this_year = closing_in(today.year, closing)
    return this_year if this_year <= today else closing_in(today.year - 1, closing)


def fiscal_year_bounds(closing_date: date) -> tuple[date, date]:
    """The fiscal year that closes on ``closing_date`` (twelve months)."""
    from datetime import timedelta

    try:
        opening = closing_date.replace(year=closing_date.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        opening = date(closing_date.year - 1, 3, 1)
    return opening, closing_date


def gift_year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)
