"""Receipt actions: declare eligibility, record an individual's gift, issue, cancel and correct a receipt.

Called alike by pages, API, the batch and the CLI. Each raises ``ValidationError({field: [French message]})``.
Rules (sources in :mod:`maillage.core.legal`): only a received gift (money, in-kind, skills) gets a receipt;
not a service contract (revenue), not volunteering (time given), not a gift whose counterparts exceed the
tolerated share (sponsoring, BOI-BIC-RICI-20-30-10-20 § 30), not a skills gift without the list of days worked
signed by both parties; one active receipt per gift; the issuer must have declared its eligibility.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, Field, OuterRef, QuerySet, Sum
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.contributions.models import Contribution, Kind, Status
from maillage.core import legal
from maillage.core.formats import money
from maillage.core.legal import RECEIPT_RETENTION_YEARS
from maillage.core.roles import Role
from maillage.organizations.models import Contact
from maillage.organizations.models import Kind as OrgKind
from maillage.receipts.models import (
    MONEY_PAYMENT_METHODS,
    CompanyDonorDetails,
    Donor,
    Eligibility,
    EvidenceKind,
    GiftForm,
    IndividualGift,
    IssuerSnapshot,
    LegalStatus,
    Nature,
    Receipt,
    ReceiptForm,
    ReceiptLine,
    parse_closing,
    receipt_reference,
)
from maillage.receipts.numbering import reserve_numbers
from maillage.workspaces.claims import mail_after_commit, require_verified
from maillage.workspaces.models import Membership

if TYPE_CHECKING:
    from django.http import HttpRequest

    from maillage.organizations.models import Organization
    from maillage.workspaces.models import User, Workspace

MAX_AMOUNT = Decimal("1000000000")
SIGNATURE_MAX_BYTES = 500_000
NATURE_BY_KIND = {Kind.MONEY: Nature.MONEY, Kind.IN_KIND: Nature.IN_KIND, Kind.SKILLS: Nature.SKILLS}


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def eligibility_of(workspace: Workspace) -> Eligibility | None:
    """The organisation's eligibility, unchecked: for code that already checked the workspace is verified."""
    return Eligibility.objects.filter(organization_id=workspace.organization_id).first()


SEE_ELIGIBILITY = "consulter ni modifier l'habilitation de l'organisation à émettre des reçus fiscaux"
ISSUE = "émettre, rectifier ni annuler de reçu fiscal au nom de l'organisation"


def eligibility_for(workspace: Workspace) -> Eligibility | None:
    """The eligibility as a workspace may read it: only the organisation's verified workspace (decision 0008)."""
    require_verified(workspace, SEE_ELIGIBILITY)
    return eligibility_of(workspace)


ELIGIBILITY_FIELDS = (
    "status",
    "art_200",
    "art_238_bis",
    "art_978",
    "evidence_kind",
    "evidence_reference",
    "evidence_date",
    "helps_people_in_difficulty",
    "purpose",
    "fiscal_year_closing",
    "address",
    "signatory_name",
    "signatory_role",
    "signature_image",
)


def _eligibility_state(eligibility: Eligibility | None) -> dict[str, Any]:
    if eligibility is None or eligibility.pk is None:
        return {}
    state = {}
    for field in ELIGIBILITY_FIELDS:
        value = getattr(eligibility, field)
        state[field] = (
            value.name if field == "signature_image" else (value.isoformat() if isinstance(value, date) else value)
        )
    return state


def _journal_eligibility(
    workspace: Workspace,
    user: User | None,
    eligibility: Eligibility,
    before: dict[str, Any],
    request: HttpRequest | None,
) -> None:

    after = _eligibility_state(eligibility)
    changed = sorted(k for k in after if before.get(k) != after[k])
    if before and not changed:  # saved again as it was: nothing changed, nothing to tell
        return
    record_event(
        action="eligibility.changed",
        actor=user,
        workspace=workspace,
        target=eligibility,
        details={"before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}},
        request=request,
    )
    owners = list(
        Membership.objects.active().filter(workspace=workspace, role=Role.OWNER).values_list("user__email", flat=True)
    )
    label = {k: cast(Field[Any, Any], Eligibility._meta.get_field(k)).verbose_name for k in changed}  # own columns
    lines = "\n".join(f"- {label[k]} : « {before.get(k, '')} » → « {after[k]} »" for k in changed)
    mail_after_commit(
        subject=f"Maillage : habilitation à émettre des reçus modifiée ({workspace.organization})",
        message=(
            f"Bonjour,\n\n{user or 'Maillage'} a modifié l'habilitation de {workspace.organization} à émettre des reçus fiscaux "
            f"(espace « {workspace.name} »).\n\n{lines}\n\nSi ce changement vous surprend, vérifiez-la dans "
            "Reçus › Habilitation et consultez le journal de l'espace."
        ),
        recipients=owners,
    )


@transaction.atomic
def declare_eligibility(
    *,
    workspace: Workspace,
    user: User | None,
    data: dict[str, Any],
    signature: UploadedFile[bytes] | None = None,
    remove_signature: bool = False,
    request: HttpRequest | None = None,
) -> Eligibility:
    """Create or update the eligibility of the workspace's organisation (receipts already issued keep theirs).

    Only the organisation's verified workspace may; every change is journaled and e-mailed to its owners.
    """
    require_verified(workspace, SEE_ELIGIBILITY)
    errors: dict[str, list[str]] = {}
    status = data.get("status") or ""
    if status not in LegalStatus.values:
        errors["status"] = ["Choisissez le statut de l'organisme (intérêt général, utilité publique…)."]
    arts = {k: bool(data.get(k)) for k in ("art_200", "art_238_bis", "art_978")}
    if not any(arts.values()):
        errors["art_200"] = [
            "Cochez au moins un article du CGI (200, 238 bis ou 978) au titre duquel vous émettez des reçus."
        ]
    evidence_kind = data.get("evidence_kind") or ""
    if evidence_kind not in EvidenceKind.values:
        errors["evidence_kind"] = ["Choisissez le justificatif : rescrit, décret ou auto-évaluation."]
    reference = _text(data.get("evidence_reference"), 200)
    evidence_date = data.get("evidence_date")
    if evidence_kind in (EvidenceKind.RESCRIT, EvidenceKind.DECREE) and (not reference or not evidence_date):
        errors["evidence_reference"] = ["Indiquez la référence et la date du rescrit ou du décret."]
    if status == LegalStatus.PUBLIC_UTILITY and evidence_kind != EvidenceKind.DECREE:
        errors["evidence_kind"] = [
            "La reconnaissance d'utilité publique se justifie par son décret (référence et date)."
        ]
    closing = (data.get("fiscal_year_closing") or "31/12").strip()
    try:
        day, month = parse_closing(closing)
        closing = f"{day:02d}/{month:02d}"
    except ValueError as exc:
        errors["fiscal_year_closing"] = [str(exc)]
    if evidence_date and evidence_date > timezone.localdate():
        errors["evidence_date"] = ["La date du justificatif est dans le futur."]
    values = {
        "purpose": _text(data.get("purpose"), 500),
        "address": _text(data.get("address"), 300),
        "signatory_name": _text(data.get("signatory_name"), 150),
        "signatory_role": _text(data.get("signatory_role"), 150),
    }
    labels = {
        "purpose": "l'objet de l'organisme",
        "address": "l'adresse de l'organisme",
        "signatory_name": "le nom du signataire",
        "signatory_role": "la qualité du signataire (ex. président)",
    }
    for field, value in values.items():
        if not value:
            errors[field] = [f"Indiquez {labels[field]} : il figure sur chaque reçu."]
    if signature is not None:
        head = signature.read(8)
        signature.seek(0)
        if not (head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8")):
            errors["signature_image"] = ["La signature doit être une image PNG ou JPEG."]
        elif (signature.size or 0) > SIGNATURE_MAX_BYTES:
            errors["signature_image"] = ["Image de signature trop lourde (500 Ko au plus)."]
    _raise(errors)
    eligibility = Eligibility.objects.select_for_update().filter(
        organization_id=workspace.organization_id
    ).first() or Eligibility(organization_id=workspace.organization_id)
    before = _eligibility_state(eligibility)
    eligibility.status = status
    for key, flag in arts.items():
        setattr(eligibility, key, flag)
    eligibility.evidence_kind = evidence_kind
    eligibility.evidence_reference = reference
    eligibility.evidence_date = evidence_date
    eligibility.helps_people_in_difficulty = bool(data.get("helps_people_in_difficulty"))
    eligibility.fiscal_year_closing = closing
    for field, value in values.items():
        setattr(eligibility, field, value)
    eligibility.updated_by = user
    if remove_signature:
        eligibility.signature_image = ""
    if signature is not None:
        eligibility.signature_image.save(f"signature-{workspace.organization_id}.img", signature, save=False)
    eligibility.save()
    _journal_eligibility(workspace, user, eligibility, before, request)
    return eligibility


def _amount(value: object, errors: dict[str, list[str]], field: str = "amount") -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except (InvalidOperation, TypeError):
        errors[field] = [f"« {value} » n'est pas un montant."]
        return None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        errors[field] = ["Le montant doit être positif (et inférieur à 1 milliard d'euros)."]
        return None
    return amount.quantize(Decimal("0.01"))


def _norm(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


def donor_match_key(full_name: str, email: str = "", address: str = "") -> str:
    """How two records of the same person are recognised: name, then e-mail (or, without one, the address)."""
    return f"{_norm(full_name)}|{(email or '').strip().lower() or _norm(address)}"[:300]


def find_or_create_donor(
    *,
    workspace: Workspace,
    full_name: str,
    email: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    address: str = "",
) -> tuple[Donor, bool]:
    """The workspace's donor with that name and e-mail (or address), created when new; never a duplicate.

    A donor found again keeps its record; an address or e-mail given now fills what was missing."""
    address = address or ", ".join(p for p in (street, f"{postal_code} {city}".strip()) if p)
    key = donor_match_key(full_name, email, address)
    donor = Donor.objects.visible_to(workspace).filter(match_key=key).order_by("pk").first()
    if donor is None and email:  # same person typed once without e-mail: match on name + address too
        donor = (
            Donor.objects.visible_to(workspace)
            .filter(match_key=donor_match_key(full_name, "", address))
            .order_by("pk")
            .first()
        )
    if donor is not None:
        changed = []
        for field, value in (
            ("email", email),
            ("street", street or (address if not donor.street else "")),
            ("postal_code", postal_code),
            ("city", city),
        ):
            if value and not getattr(donor, field):
                setattr(donor, field, value[: cast(Field[Any, Any], Donor._meta.get_field(field)).max_length])
                changed.append(field)
        if changed:
            donor.save(update_fields=changed)
        return donor, False
    donor = Donor.objects.create(
        workspace=workspace,
        full_name=full_name[:200],
        street=(street or (address if not (postal_code or city) else ""))[:200],
        postal_code=postal_code[:10],
        city=city[:100],
        email=email[:254],
        match_key=key,
    )
    return donor, True


def _share_reason(amount: Decimal, counterparts: Decimal) -> str:
    share = legal.INDIVIDUAL_COUNTERPART_SHARE.value
    if counterparts > amount * share:
        return (
            f"Les contreparties ({money(counterparts)}) dépassent 25 % du don ({money(amount * share)} au plus) : "
            "le don ouvre droit à réduction seulement si les contreparties restent d'une valeur nettement "
            "inférieure (BOI-IR-RICI-250-10-20-10). Réduisez-les ou n'émettez pas de reçu."
        )
    return ""


def check_individual_counterparts(
    *,
    workspace: Workspace,
    donor_name: str,
    donor: Donor | None,
    amount: Decimal,
    counterparts: Decimal,
    on: date,
    exclude_gift_id: int | None = None,
) -> str:
    """The French reason an individual's counterparts are not tolerated, or "" (BOI-IR-RICI-250-10-20-10):
    at most 25 % of the gift, and at most the flat ceiling of the year for all the goods given to that donor."""
    if counterparts <= 0:
        return ""
    if share := _share_reason(amount, counterparts):
        return share
    cap = legal.individual_counterpart_cap(on)
    earlier = IndividualGift.objects.visible_to(workspace).filter(received_on__year=on.year)
    earlier = earlier.filter(donor=donor) if donor is not None else earlier.filter(donor_name=donor_name)
    if exclude_gift_id:
        earlier = earlier.exclude(pk=exclude_gift_id)
    total = counterparts + sum((g.counterparts_value for g in earlier.only("counterparts_value")), Decimal("0"))
    if total > cap:
        return (
            f"Les contreparties remises à ce donateur en {on.year} atteindraient {money(total)}, au-delà du plafond "
            f"de {money(cap)} par an (BOI-IR-RICI-250-10-20-10) : pas de reçu pour ce don tant qu'elles le dépassent."
        )
    return ""


def clean_individual_gift(
    *,
    donor_name: str,
    donor_address: str,
    amount: object,
    received_on: date | None,
    donor_email: str = "",
    in_kind: bool = False,
    description: str = "",
    payment_method: str = "",
    listed_securities: bool = False,
    gift_form: str = "",
    counterparts_value: object = None,
    counterparts_description: str = "",
    donor: Donor | None = None,
    import_key: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """The checks of :func:`record_individual_gift` that need no database: the gift's fields, or the errors.

    Left to the writing: the donor (found again or created) and the yearly ceiling of counterparts."""
    errors: dict[str, list[str]] = {}
    donor_name, donor_address = _text(donor_name, 200), _text(donor_address, 300)
    if donor is not None:
        donor_name = donor_name or donor.full_name
        donor_address = donor_address or donor.address
        donor_email = donor_email or donor.email
    if not donor_name:
        errors["donor_name"] = ["Indiquez le nom et le prénom du donateur : ils figurent sur le reçu."]
    if not donor_address:
        errors["donor_address"] = ["Indiquez l'adresse du donateur : elle figure sur le reçu (formulaire 2041-RD)."]
    value = _amount(amount, errors)
    if received_on is None:
        errors["received_on"] = ["Indiquez la date de réception du don."]
    elif received_on > (today or timezone.localdate()):
        errors["received_on"] = ["La date de réception est dans le futur : un don s'enregistre une fois reçu."]
    elif received_on < date(2000, 1, 1):
        errors["received_on"] = ["Date antérieure à 2000 : vérifiez la saisie."]
    description = _text(description, 500)
    if (in_kind or listed_securities) and not description:
        errors["description"] = [
            "Décrivez le bien ou les titres donnés et leur valorisation (don en nature ou de titres cotés)."
        ]
    if in_kind or listed_securities:
        payment_method = ""
    elif payment_method not in MONEY_PAYMENT_METHODS:
        errors["payment_method"] = ["Choisissez le mode de versement : espèces, chèque ou virement/carte."]
    gift_form = gift_form or GiftForm.MANUAL
    if gift_form not in GiftForm.values:
        errors["gift_form"] = [
            "Choisissez la forme du don : acte authentique, acte sous seing privé, don manuel ou autre."
        ]
    counterparts = Decimal("0")
    if counterparts_value not in (None, "", 0):
        try:
            counterparts = Decimal(str(counterparts_value).replace(",", ".").replace(" ", "")).quantize(Decimal("0.01"))
            if not counterparts.is_finite() or counterparts < 0:
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            errors["counterparts_value"] = [f"« {counterparts_value} » n'est pas une valeur de contreparties."]
    if value is not None and (share := _share_reason(value, counterparts)):
        errors["counterparts_value"] = [share]  # the yearly ceiling needs the donor: checked when written
    _raise(errors)
    assert value is not None and received_on is not None  # both refused above when missing (errors raised)
    return {
        "donor_name": donor_name,
        "donor_address": donor_address,
        "donor_email": _text(donor_email, 254),
        "amount": value,
        "received_on": received_on,
        "in_kind": bool(in_kind),
        "listed_securities": bool(listed_securities) and not in_kind,
        "description": description,
        "payment_method": payment_method,
        "gift_form": gift_form,
        "counterparts_value": counterparts,
        "counterparts_description": _text(counterparts_description, 300),
        "import_key": import_key[:200],
    }


@transaction.atomic
def record_individual_gift(
    *,
    workspace: Workspace,
    user: User | None,
    donor_name: str,
    donor_address: str,
    amount: object,
    received_on: date | None,
    donor_email: str = "",
    in_kind: bool = False,
    description: str = "",
    payment_method: str = "",
    listed_securities: bool = False,
    gift_form: str = "",
    counterparts_value: object = None,
    counterparts_description: str = "",
    donor: Donor | None = None,
    import_key: str = "",
) -> IndividualGift:
    """Record a gift of a person (don d'un particulier), received by the workspace's organisation.

    The person becomes (or is found again as) a :class:`Donor` of the workspace: the gift joins their history."""
    fields = clean_individual_gift(
        donor_name=donor_name,
        donor_address=donor_address,
        amount=amount,
        received_on=received_on,
        donor_email=donor_email,
        in_kind=in_kind,
        description=description,
        payment_method=payment_method,
        listed_securities=listed_securities,
        gift_form=gift_form,
        counterparts_value=counterparts_value,
        counterparts_description=counterparts_description,
        donor=donor,
        import_key=import_key,
    )
    if donor is None:
        donor, _ = find_or_create_donor(
            workspace=workspace,
            full_name=fields["donor_name"],
            email=fields["donor_email"],
            address=fields["donor_address"],
        )
    reason = check_individual_counterparts(
        workspace=workspace,
        donor_name=fields["donor_name"],
        donor=donor,
        amount=fields["amount"],
        counterparts=fields["counterparts_value"],
        on=fields["received_on"],
    )
    if reason:
        raise ValidationError({"counterparts_value": [reason]})
    return IndividualGift.objects.create(workspace=workspace, donor=donor, created_by=user, **fields)


@transaction.atomic
def record_individual_gifts(
    *, workspace: Workspace, user: User | None, rows: list[dict[str, Any]]
) -> list[IndividualGift]:
    """Gifts of an import's batch, checked by :func:`clean_individual_gift`, written together.

    Each row: ``fields`` (what the check returned) and ``donor`` (``full_name``, ``email``, ``street``,
    ``postal_code``, ``city``). The donors are found again by their match keys in one query per 500 and the new
    ones created together (never a duplicate, as :func:`find_or_create_donor`); the yearly ceiling of counterparts
    is checked against the year's gifts of the donors concerned and the batch's earlier rows. Any refusal refuses
    the whole batch (the row named)."""
    if not rows:
        return []
    addresses = [
        ", ".join(p for p in (d["street"], f"{d['postal_code']} {d['city']}".strip()) if p)
        for d in (row["donor"] for row in rows)
    ]
    keys = [
        donor_match_key(r["donor"]["full_name"], r["donor"]["email"], a) for r, a in zip(rows, addresses, strict=True)
    ]
    fallbacks = [donor_match_key(r["donor"]["full_name"], "", a) for r, a in zip(rows, addresses, strict=True)]
    wanted = sorted(set(keys) | {f for f, r in zip(fallbacks, rows, strict=True) if r["donor"]["email"]})
    known: dict[str, Donor] = {}
    for start in range(0, len(wanted), 500):
        for found in (
            Donor.objects.visible_to(workspace).filter(match_key__in=wanted[start : start + 500]).order_by("-pk")
        ):
            known[found.match_key] = found  # the first created wins, as in find_or_create_donor
    donors: list[Donor] = []
    new: dict[str, Donor] = {}
    for row, key, fallback, address in zip(rows, keys, fallbacks, addresses, strict=True):
        d = row["donor"]
        donor = known.get(key) or (known.get(fallback) if d["email"] else None) or new.get(key)
        if donor is None:
            donor = Donor(
                workspace=workspace,
                full_name=d["full_name"][:200],
                street=(d["street"] or (address if not (d["postal_code"] or d["city"]) else ""))[:200],
                postal_code=d["postal_code"][:10],
                city=d["city"][:100],
                email=d["email"][:254],
                match_key=key,
            )
            new[key] = donor
        elif donor.pk is not None:
            changed = []
            for field, value in (
                ("email", d["email"]),
                ("street", d["street"] or (address if not donor.street else "")),
                ("postal_code", d["postal_code"]),
                ("city", d["city"]),
            ):
                if value and not getattr(donor, field):
                    setattr(donor, field, value[: cast(Field[Any, Any], Donor._meta.get_field(field)).max_length])
                    changed.append(field)
            if changed:
                donor.save(update_fields=changed)
        donors.append(donor)
    Donor.objects.bulk_create(list(new.values()))
    _check_ceilings(workspace, rows, donors)
    return IndividualGift.objects.bulk_create(
        IndividualGift(workspace=workspace, donor=donor, created_by=user, **row["fields"])
        for row, donor in zip(rows, donors, strict=True)
    )


def _check_ceilings(workspace: Workspace, rows: list[dict[str, Any]], donors: list[Donor]) -> None:
    """The yearly ceiling of counterparts (:func:`check_individual_counterparts`) for the rows that have some."""
    concerned = [(r, d) for r, d in zip(rows, donors, strict=True) if r["fields"]["counterparts_value"] > 0]
    if not concerned:
        return
    years = {r["fields"]["received_on"].year for r, _ in concerned}
    given: dict[tuple[int, int], Decimal] = {}
    for donor_id, year, total in (
        IndividualGift.objects.visible_to(workspace)
        .filter(donor__in={d.pk for _, d in concerned}, received_on__year__in=years)
        .values_list("donor_id", "received_on__year")
        .annotate(total=Sum("counterparts_value"))
    ):
        given[donor_id, year] = total or Decimal("0")
    for row, donor in zip(rows, donors, strict=True):
        fields = row["fields"]
        counterparts, on = fields["counterparts_value"], fields["received_on"]
        if counterparts <= 0:
            continue
        total = given.get((donor.pk, on.year), Decimal("0")) + counterparts
        cap = legal.individual_counterpart_cap(on)
        if total > cap:
            raise ValidationError(
                {
                    f"ligne {row.get('row', '?')} — contreparties": [
                        f"Les contreparties remises à ce donateur en {on.year} atteindraient {money(total)}, "
                        f"au-delà du plafond de {money(cap)} par an (BOI-IR-RICI-250-10-20-10) : pas de reçu pour "
                        "ce don tant qu'elles le dépassent."
                    ]
                }
            )
        given[donor.pk, on.year] = total


def issuer_snapshot(eligibility: Eligibility, organization: Organization) -> IssuerSnapshot:
    """The frozen issuer block of the receipts issued now (one row per distinct content)."""
    data = _issuer_data(eligibility, organization)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    snapshot, _ = IssuerSnapshot.objects.get_or_create(issuer=organization, digest=digest, defaults={"data": data})
    return snapshot


def _issuer_data(eligibility: Eligibility, organization: Organization) -> dict[str, Any]:
    return {
        "name": organization.name,
        "siren": organization.siren or "",
        "rna": organization.rna or "",
        "address": eligibility.address,
        "purpose": eligibility.purpose,
        "status": eligibility.status,
        "status_label": LegalStatus(eligibility.status).label,
        "articles": eligibility.articles,
        "evidence_kind": eligibility.evidence_kind,
        "evidence_reference": eligibility.evidence_reference,
        "evidence_date": eligibility.evidence_date.isoformat() if eligibility.evidence_date else "",
        "helps_people_in_difficulty": eligibility.helps_people_in_difficulty,
        "signatory_name": eligibility.signatory_name,
        "signatory_role": eligibility.signatory_role,
        "signature_image": eligibility.signature_image.name or "",
    }


def _company_address(organization: Organization, street: str = "") -> str:
    """The company's full address: street (entered once per company, see :class:`CompanyDonorDetails`), postal
    code and commune (from the directory)."""
    commune = organization.commune
    town = ""
    if commune is not None:
        postal = (commune.postal_codes or "").split(" ")[0].split(",")[0]
        town = f"{postal} {commune.name}".strip()
    return ", ".join(p for p in (street.strip(), town) if p)


def company_details(workspace: Workspace, organization_ids: Iterable[int]) -> dict[int, CompanyDonorDetails]:
    """The legal form, street and last payment method the workspace entered for each donor company."""
    return {
        d.organization_id: d
        for d in CompanyDonorDetails.objects.visible_to(workspace).filter(organization_id__in=list(organization_ids))
    }


def remember_company_details(
    workspace: Workspace, organization_id: int, *, legal_form: str = "", street: str = "", payment_method: str = ""
) -> None:
    details, _ = CompanyDonorDetails.objects.get_or_create(workspace=workspace, organization_id=organization_id)
    changed = []
    for field, value in (
        ("legal_form", _text(legal_form, 100)),
        ("street", _text(street, 200)),
        ("payment_method", payment_method if payment_method in MONEY_PAYMENT_METHODS else ""),
    ):
        if value and getattr(details, field) != value:
            setattr(details, field, value)
            changed.append(field)
    if changed:
        details.save(update_fields=[*changed, "updated_at"])


NO_SIGNATURE = (
    "Le reçu doit porter la signature du signataire ({name}) : déposez sa signature scannée (PNG ou JPEG) dans "
    "Reçus › Habilitation, puis émettez le reçu. Aucun reçu n'est émis sans signature."
)


def require_signature(eligibility: Eligibility) -> None:
    if not eligibility.signature_image:
        raise Refusal("signature_image", NO_SIGNATURE.format(name=eligibility.signatory_name or "président"))


@dataclass
class Refusal(Exception):
    field: str
    message: str


NO_ELIGIBILITY = (
    "Votre association n'a pas déclaré son habilitation à émettre des reçus fiscaux (statut, article du CGI, "
    "justificatif, signataire) : renseignez-la dans Reçus › Habilitation."
)


def check_contribution(
    contribution: Contribution, workspace: Workspace, eligibility: Eligibility | None, active: bool
) -> Eligibility:
    """Raise :class:`Refusal` with the French reason a receipt cannot be issued for this contribution; answer the
    eligibility, then known to exist."""

    if eligibility is None:
        raise Refusal("eligibility", NO_ELIGIBILITY)
    require_signature(eligibility)
    if contribution.receiver.organization_id != workspace.organization_id:
        raise Refusal(
            "contribution", "Ce don n'a pas été reçu par votre association : c'est le bénéficiaire qui émet le reçu."
        )
    if contribution.kind == Kind.SERVICE:
        raise Refusal(
            "contribution",
            "Une prestation (contrat) est une recette de l'association, pas un don : elle se facture et n'ouvre droit à aucun reçu fiscal.",
        )
    if contribution.kind == Kind.VOLUNTEERING:
        raise Refusal(
            "contribution",
            "Le temps donné par des bénévoles ne donne pas lieu à un reçu fiscal (il se valorise en comptes 86/87).",
        )
    if contribution.status != Status.RECEIVED or contribution.received_on is None:
        raise Refusal(
            "contribution", "Ce don n'est pas encore reçu : marquez-le reçu (avec sa date) avant d'émettre le reçu."
        )
    if contribution.is_sponsoring:
        share = (contribution.counterparts_share or Decimal("0")) * 100
        raise Refusal(
            "contribution",
            f"Les contreparties ({money(contribution.counterparts_value)}, soit {share:.0f} % du don) dépassent la part tolérée "
            "de 25 % : c'est du parrainage (prestation soumise à la TVA), pas du mécénat ; pas de reçu fiscal.",
        )
    if contribution.kind == Kind.SKILLS and not contribution.signed_timesheet:
        raise Refusal(
            "contribution",
            "Mécénat de compétences : la liste nominative des jours travaillés, signée par l'entreprise et l'association, "
            "doit être jointe avant le reçu. Cochez-la sur la contribution une fois signée.",
        )
    if contribution.giver.organization.kind != OrgKind.COMPANY:
        raise Refusal(
            "contribution",
            "Le donateur n'est pas une entreprise : le formulaire 2041-MEC-SD ne vaut que pour les entreprises. "
            "Pour un particulier, enregistrez un « don d'un particulier ».",
        )
    if not eligibility.art_238_bis:
        raise Refusal(
            "eligibility", "Votre habilitation ne mentionne pas l'article 238 bis du CGI (dons des entreprises)."
        )
    if active:
        raise Refusal(
            "contribution", "Ce don a déjà un reçu en cours de validité : annulez-le pour en émettre un rectificatif."
        )
    return eligibility


def build_company_receipt(
    contribution: Contribution,
    workspace: Workspace,
    eligibility: Eligibility,
    *,
    user: User | None,
    legal_form: str = "",
    payment_method: str = "",
    street: str = "",
    gift_form: str = "",
    snapshot: IssuerSnapshot | None = None,
) -> Receipt:
    """An unnumbered receipt for an already checked contribution (see :func:`check_contribution`).

    Raises :class:`Refusal` when the form would be incomplete: a money gift without its payment method, a company
    without its street address."""
    giver = contribution.giver.organization
    if contribution.kind == Kind.MONEY:
        if payment_method not in MONEY_PAYMENT_METHODS:
            raise Refusal(
                "payment_method",
                f"{giver.name} : choisissez le mode de versement du don en numéraire (espèces, chèque, virement ou "
                "carte) : il figure sur le reçu 2041-MEC-SD.",
            )
    else:
        payment_method = ""
    if not _text(street, 200):
        raise Refusal(
            "street",
            f"{giver.name} : indiquez l'adresse de l'entreprise (numéro et voie) : le reçu porte l'adresse complète "
            "du donateur. Elle est retenue pour ses reçus suivants.",
        )
    gift_form = gift_form or (GiftForm.MANUAL if contribution.kind == Kind.MONEY else GiftForm.OTHER)
    if gift_form not in GiftForm.values:
        raise Refusal(
            "gift_form", "Forme du don inconnue : acte authentique, acte sous seing privé, don manuel ou autre."
        )
    skills = [
        {
            "name": line.employee_name,
            "role": line.employee_role,
            "month": line.month.strftime("%m/%Y"),
            "hours": str(line.hours),
            "value": str(line.value),
            "capped": line.capped,
        }
        for line in (contribution.skills_lines.all() if contribution.kind == Kind.SKILLS else ())
    ]
    received_on = contribution.received_on
    assert received_on is not None  # check_contribution refused a gift not yet received
    return Receipt(
        workspace=workspace,
        issuer_id=workspace.organization_id,
        form=ReceiptForm.COMPANY,
        cerfa=legal.RECEIPT_CERFA[ReceiptForm.COMPANY],
        articles="238 bis",
        gift_form=gift_form,
        contribution=contribution,
        issuer_details=snapshot or issuer_snapshot(eligibility, workspace.organization),
        donor_name=giver.name,
        donor_siren=giver.siren or "",
        donor_legal_form=_text(legal_form, 100),
        donor_address=_company_address(giver, _text(street, 200)),
        amount=contribution.value,
        gift_date=received_on,
        nature=NATURE_BY_KIND[Kind(contribution.kind)],
        payment_method=payment_method,
        description=contribution.description[:1000],
        valuation_method=contribution.get_valuation_method_display() if contribution.kind != Kind.MONEY else "",
        skills_detail=skills,
        counterparts_value=contribution.counterparts_value,
        issued_by=user,
    )


def _stamp(receipts: list[Receipt], year: int, first: int) -> None:
    now = timezone.now()
    today = timezone.localdate()
    retain = date(today.year + int(RECEIPT_RETENTION_YEARS.value), 12, 31)
    for offset, receipt in enumerate(receipts):
        receipt.year, receipt.number = year, first + offset
        receipt.reference = receipt_reference(year, receipt.number)
        receipt.issued_at = now
        receipt.retain_until = retain


def save_numbered(receipts: list[Receipt], issuer_id: int) -> list[Receipt]:
    """Number and insert receipts of one issuer in the current transaction (gapless; see numbering.py)."""
    if not receipts:
        return []
    year = timezone.localdate().year
    first = reserve_numbers(issuer_id=issuer_id, year=year, count=len(receipts))
    _stamp(receipts, year, first)
    return Receipt.objects.bulk_create(receipts)


def donor_emails(workspace: Workspace, organization_ids: Iterable[int]) -> dict[int, str]:
    """The first e-mail address the workspace keeps for each donor organisation (its private contacts)."""

    found: dict[int, str] = {}
    contacts = (
        Contact.objects.visible_to(workspace).filter(organization_id__in=list(organization_ids)).exclude(email="")
    )
    for contact in contacts.order_by("name", "id"):
        found.setdefault(contact.organization_id, contact.email)
    return found


def receipt_details(receipt: Receipt) -> dict[str, Any]:
    """What the journal keeps of an issued receipt (its number, form, amount; the one it replaces)."""
    details = {"reference": receipt.reference, "form": receipt.form, "amount": str(receipt.amount)}
    if receipt.replaces is not None:
        details["replaces"] = receipt.replaces.reference
    return details


def _active_exists(contribution: Contribution) -> bool:
    return Receipt.objects.active().filter(contribution=contribution).exists()


def with_receipt_flag(queryset: QuerySet[Contribution]) -> QuerySet[Any]:  # rows annotated with has_receipt
    return queryset.annotate(has_receipt=Exists(Receipt.objects.active().filter(contribution=OuterRef("pk"))))


def issue_receipt(
    *,
    workspace: Workspace,
    user: User | None,
    contribution: Contribution | None = None,
    individual_gift: IndividualGift | None = None,
    legal_form: str = "",
    payment_method: str = "",
    street: str = "",
    gift_form: str = "",
    replaces: Receipt | None = None,
    request: HttpRequest | None = None,
) -> Receipt:
    """Issue one receipt, numbered, for a received gift of a company (alliance) or of an individual.

    For a company: ``legal_form`` and ``street`` are remembered for its later receipts (given once);
    ``payment_method`` is required for a money gift."""
    try:
        with transaction.atomic():
            receipt = _issue(
                workspace, user, contribution, individual_gift, legal_form, payment_method, street, gift_form, replaces
            )
            record_event(
                action="receipt.issued",
                actor=user,
                workspace=workspace,
                target=receipt,
                details=receipt_details(receipt),
                request=request,
            )
            return receipt
    except IntegrityError as exc:  # the unique constraints, last safeguard: answered like the checks above
        raise ValidationError(
            {"contribution": ["Ce don vient de recevoir un reçu (émis en même temps par quelqu'un d'autre)."]}
        ) from exc


def _issue(
    workspace: Workspace,
    user: User | None,
    contribution: Contribution | None,
    individual_gift: IndividualGift | None,
    legal_form: str,
    payment_method: str,
    street: str,
    gift_form: str,
    replaces: Receipt | None,
) -> Receipt:
    require_verified(workspace, ISSUE)
    eligibility = eligibility_of(workspace)
    if (contribution is None) == (individual_gift is None):
        raise ValidationError({"contribution": ["Choisissez le don pour lequel émettre un reçu."]})
    if contribution is not None:
        contribution = (
            Contribution.objects.select_related("giver__organization__commune", "receiver")
            .select_for_update(of=("self",))
            .get(pk=contribution.pk)
        )
        company_id = contribution.giver.organization_id
        known = company_details(workspace, [company_id]).get(company_id)
        legal_form = _text(legal_form, 100) or (known.legal_form if known else "")
        street = _text(street, 200) or (known.street if known else "")
        payment_method = payment_method or (known.payment_method if known else "")
        try:
            checked = check_contribution(contribution, workspace, eligibility, _active_exists(contribution))
            receipt = build_company_receipt(
                contribution,
                workspace,
                checked,
                user=user,
                legal_form=legal_form,
                payment_method=payment_method,
                street=street,
                gift_form=gift_form,
            )
        except Refusal as refusal:
            raise ValidationError({refusal.field: [refusal.message]}) from None
        remember_company_details(
            workspace, company_id, legal_form=legal_form, street=street, payment_method=receipt.payment_method
        )
        receipt.donor_email = donor_emails(workspace, [company_id]).get(company_id, "")
    else:
        # Locked, like the contribution above: a second issuer waits, then sees the receipt and is refused.
        assert individual_gift is not None  # exactly one of the two, checked above
        individual_gift = IndividualGift.objects.select_for_update().get(pk=individual_gift.pk)
        receipt = _individual_receipt(individual_gift, workspace, eligibility, user)
    receipt.replaces = replaces
    return save_numbered([receipt], workspace.organization_id)[0]


def individual_articles(eligibility: Eligibility) -> str:
    """The articles a 2041-RD certifies: 200 (income tax) and 978 (IFI) where the organisation is eligible to it;
    never 238 bis (companies have their own form since 2022)."""
    return ",".join(a for a, on in (("200", eligibility.art_200), ("978", eligibility.art_978)) if on)


def _individual_receipt(
    gift: IndividualGift,
    workspace: Workspace,
    eligibility: Eligibility | None,
    user: User | None,
    snapshot: IssuerSnapshot | None = None,
) -> Receipt:
    if gift.workspace_id != workspace.pk:
        raise ValidationError({"individual_gift": ["Ce don n'appartient pas à votre espace."]})
    eligibility = check_individual_issuer(eligibility)
    check_individual_gift(gift, workspace)
    active = active_receipt_of_gift(gift)
    if active is not None:
        raise ValidationError(
            {
                "individual_gift": [
                    f"Ce don a déjà un reçu en cours de validité (n° {active.reference}) : annulez-le pour en émettre "
                    "un rectificatif."
                ]
            }
        )
    nature = gift_nature(gift)
    return Receipt(
        workspace=workspace,
        issuer_id=workspace.organization_id,
        form=ReceiptForm.INDIVIDUAL,
        cerfa=legal.RECEIPT_CERFA[ReceiptForm.INDIVIDUAL],
        articles=individual_articles(eligibility),
        gift_form=gift.gift_form or GiftForm.MANUAL,
        individual_gift=gift,
        issuer_details=snapshot or issuer_snapshot(eligibility, workspace.organization),
        donor_name=gift.donor_name,
        donor_address=gift.donor_address,
        donor_email=gift.donor_email,
        amount=gift.amount,
        gift_date=gift.received_on,
        nature=nature,
        payment_method=gift.payment_method if nature == Nature.MONEY else "",
        description=gift.description,
        counterparts_value=gift.counterparts_value,
        issued_by=user,
    )


def gift_nature(gift: IndividualGift) -> str:
    return Nature.IN_KIND if gift.in_kind else Nature.SECURITIES if gift.listed_securities else Nature.MONEY


def active_receipt_of_gift(gift: IndividualGift) -> Receipt | None:
    """The active receipt that covers an individual's gift: its single receipt, or a yearly summary receipt."""
    single = Receipt.objects.active().filter(individual_gift=gift).first()
    if single is not None:
        return single
    line = ReceiptLine.objects.filter(gift=gift, active=True).select_related("receipt").first()
    return line.receipt if line else None


def check_individual_issuer(eligibility: Eligibility | None) -> Eligibility:
    """The issuer may receipt an individual's gift: eligibility (art. 200 or 978) and a scanned signature.
    Returns the eligibility (known to exist)."""
    if eligibility is None:
        raise ValidationError({"eligibility": [NO_ELIGIBILITY]})
    try:
        require_signature(eligibility)
    except Refusal as refusal:
        raise ValidationError({refusal.field: [refusal.message]}) from None
    if not (eligibility.art_200 or eligibility.art_978):
        raise ValidationError(
            {
                "eligibility": [
                    "Votre habilitation ne mentionne ni l'article 200 (impôt sur le revenu) ni l'article 978 (IFI) du "
                    "CGI : pas de reçu pour le don d'un particulier."
                ]
            }
        )

    return eligibility


def check_individual_gift(gift: IndividualGift, workspace: Workspace) -> None:
    """An individual's gift can be receipted: payment method of a money gift, counterparts within the tolerance."""
    if gift.payment_method not in MONEY_PAYMENT_METHODS and not (gift.in_kind or gift.listed_securities):
        raise ValidationError(
            {
                "payment_method": [
                    f"{gift.donor_name} : le mode de versement du don en numéraire manque ; corrigez le don."
                ]
            }
        )
    reason = check_individual_counterparts(
        workspace=workspace,
        donor_name=gift.donor_name,
        donor=gift.donor,
        amount=gift.amount,
        counterparts=gift.counterparts_value,
        on=gift.received_on,
        exclude_gift_id=gift.pk,
    )
    if reason:
        raise ValidationError({"counterparts_value": [reason]})


@transaction.atomic
def cancel_receipt(
    *, receipt: Receipt, workspace: Workspace, user: User | None, reason: str, request: HttpRequest | None = None
) -> Receipt:
    """Cancel a receipt: it keeps its number and stays on file; a cancellation document is produced from it."""
    require_verified(workspace, ISSUE)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk, workspace=workspace)
    reason = _text(reason, 500)
    if receipt.is_cancelled:
        raise ValidationError({"reason": [f"Le reçu n° {receipt.reference} est déjà annulé."]})
    if len(reason) < 5:
        raise ValidationError({"reason": ["Indiquez le motif de l'annulation (5 caractères au moins)."]})
    receipt.cancelled_at = timezone.now()
    receipt.cancel_reason = reason
    receipt.cancelled_by = user
    receipt.save(update_fields=["cancelled_at", "cancel_reason", "cancelled_by"])
    ReceiptLine.objects.filter(receipt=receipt).update(active=False)  # its gifts may be receipted again
    record_event(
        action="receipt.cancelled",
        actor=user,
        workspace=workspace,
        target=receipt,
        details={"reason": reason},
        request=request,
    )
    return receipt


@transaction.atomic
def correct_receipt(
    *,
    receipt: Receipt,
    workspace: Workspace,
    user: User | None,
    reason: str,
    legal_form: str | None = None,
    payment_method: str | None = None,
    request: HttpRequest | None = None,
) -> Receipt:
    """Cancel a receipt and issue its correction under a new number, linked to the one it replaces.

    The corrected figures come from the gift as it stands now (correct the contribution first if needed).
    """
    cancelled = cancel_receipt(receipt=receipt, workspace=workspace, user=user, reason=reason, request=request)
    if cancelled.summary_year:
        from maillage.receipts.summary import issue_summary_receipt, summary_donor

        return issue_summary_receipt(
            workspace=workspace,
            user=user,
            donor=summary_donor(cancelled),
            year=cancelled.summary_year,
            replaces=cancelled,
            request=request,
        )
    return issue_receipt(
        workspace=workspace,
        user=user,
        contribution=cancelled.contribution,
        individual_gift=cancelled.individual_gift,
        legal_form=cancelled.donor_legal_form if legal_form is None else legal_form,
        payment_method=cancelled.payment_method if payment_method is None else payment_method,
        gift_form=cancelled.gift_form,
        replaces=cancelled,
        request=request,
    )
