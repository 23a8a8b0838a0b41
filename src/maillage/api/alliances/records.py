"""What happens in an alliance: interactions (time invested), agreements (with the signed PDF), private notes."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from ninja import Field, File, Schema, Status, UploadedFile
from ninja import Form as FormField
from pydantic import ValidationError as PydanticValidationError

from maillage.alliances import actions
from maillage.alliances.models import Agreement, AgreementKind, AllianceNote, Attendance, Interaction, InteractionKind
from maillage.api.alliances.common import Amount, Id, Text, paginate, router, visible_alliance
from maillage.api.auth import require_role
from maillage.api.errors import translate
from maillage.core.tenancy import get_visible_or_404
from maillage.organizations.models import Contact

# --- Interactions --------------------------------------------------------------------------------------------------


class AttendanceIn(Schema):
    party_id: Id
    people: int = Field(1, ge=0, le=500, description="personnes de cette partie présentes")


class AttendanceOut(Schema):
    party_id: int
    organization_name: str
    people: int
    minutes: int = Field(description="temps investi par cette partie : durée × personnes")


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str


class InteractionIn(Schema):
    kind: InteractionKind = Field(description="meeting, call, visit, event, email ou site_visit")
    occurred_on: date
    duration_minutes: int = Field(..., description="durée en minutes (14 jours au plus)")
    subject: Text = Field("", max_length=200)
    notes: Text = Field("", max_length=10000)
    attendance: list[AttendanceIn] = Field(
        default_factory=list, max_length=100, description="présents par partie ; par défaut une personne de la mienne"
    )
    contact_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="contacts présents, parmi les contacts privés de mon espace"
    )


class InteractionOut(Schema):
    id: int
    kind: str
    kind_label: str
    occurred_on: date
    duration_minutes: int
    subject: str
    notes: str
    logged_by_organization: str
    attendance: list[AttendanceOut]
    contacts: list[ContactOut] = Field(description="seulement les contacts de mon espace (privés)")
    created_at: datetime


class InteractionPage(Schema):
    items: list[InteractionOut]
    page: int
    page_size: int
    total: int
    has_next: bool


def interaction_out(i: Interaction) -> InteractionOut:
    return InteractionOut(
        id=i.pk,
        kind=i.kind,
        kind_label=i.get_kind_display(),
        occurred_on=i.occurred_on,
        duration_minutes=i.duration_minutes,
        subject=i.subject,
        notes=i.notes,
        logged_by_organization=i.workspace.organization.name,
        attendance=[
            AttendanceOut(
                party_id=a.party_id, organization_name=a.party.organization.name, people=a.people, minutes=a.minutes
            )
            for a in i.attendances.all()
        ],
        contacts=[
            ContactOut(id=c.pk, name=c.name, role=c.role, email=c.email, phone=c.phone) for c in i.contacts.all()
        ],
        created_at=i.created_at,
    )


def interactions_of(alliance, workspace):
    """Interactions with their attendance and, among their contacts, only the workspace's own."""
    return (
        Interaction.objects.filter(alliance=alliance)
        .select_related("workspace__organization")
        .prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.select_related("party__organization")),
            Prefetch("contacts", queryset=Contact.objects.visible_to(workspace)),
        )
    )


@router.get(
    "/{int:alliance_id}/interactions",
    response=InteractionPage,
    summary="Les échanges d'une alliance",
    description="Du plus récent au plus ancien ; page, page_size (100 au plus).",
)
def list_interactions(request, alliance_id: int, page: int = 1, page_size: int = 20):
    alliance = visible_alliance(request, alliance_id)
    rows, counters = paginate(interactions_of(alliance, request.workspace), page, page_size)
    return InteractionPage(items=[interaction_out(i) for i in rows], **counters)


@router.post("/{int:alliance_id}/interactions", response={201: InteractionOut}, summary="Noter un échange")
def log_interaction(request, alliance_id: int, payload: InteractionIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    attendance: dict[int, int] = {}
    for line in payload.attendance:
        if line.party_id in attendance:
            raise ValidationError(
                {"attendance": [f"La partie n° {line.party_id} figure deux fois parmi les présents."]}
            )
        attendance[line.party_id] = line.people
    ids = list(dict.fromkeys(payload.contact_ids))
    contacts = list(Contact.objects.visible_to(request.workspace).filter(pk__in=ids))
    missing = sorted(set(ids) - {c.pk for c in contacts})
    if missing:
        raise ValidationError(
            {
                "contact_ids": [
                    f"Contact(s) introuvable(s) parmi ceux de votre espace : n° {', '.join(map(str, missing))}."
                ]
            }
        )
    interaction = actions.log_interaction(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        kind=payload.kind.value,
        occurred_on=payload.occurred_on,
        duration_minutes=payload.duration_minutes,
        subject=payload.subject,
        notes=payload.notes,
        attendance=attendance or None,
        contacts=contacts,
    )
    return Status(201, interaction_out(interactions_of(alliance, request.workspace).get(pk=interaction.pk)))


# --- Agreements ----------------------------------------------------------------------------------------------------


class AgreementIn(Schema):
    kind: AgreementKind = Field(description="mecenat, partenariat, prestation ou cpo")
    title: Text = Field(..., max_length=200)
    signed_on: date
    duration_months: int | None = Field(None, description="de 1 à 240 mois")
    amount: Amount | None = None
    renewal_on: date | None = Field(None, description="date de renouvellement (rappel envoyé avant)")


class AgreementOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    signed_on: date
    duration_months: int | None
    amount: Decimal | None = Field(description="chaîne décimale en euros")
    renewal_on: date | None
    has_file: bool = Field(description="vrai quand le PDF signé est joint")
    created_by_organization: str
    created_at: datetime


def agreement_out(a: Agreement) -> AgreementOut:
    return AgreementOut(
        id=a.pk,
        kind=a.kind,
        kind_label=a.get_kind_display(),
        title=a.title,
        signed_on=a.signed_on,
        duration_months=a.duration_months,
        amount=a.amount,
        renewal_on=a.renewal_on,
        has_file=bool(a.file),
        created_by_organization=a.created_by_workspace.organization.name,
        created_at=a.created_at,
    )


def _record(request, alliance, payload: AgreementIn, file=None) -> Agreement:
    agreement = actions.record_agreement(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        kind=payload.kind.value,
        title=payload.title,
        signed_on=payload.signed_on,
        duration_months=payload.duration_months,
        amount=payload.amount,
        renewal_on=payload.renewal_on,
        file=file,
    )
    return Agreement.objects.select_related("created_by_workspace__organization").get(pk=agreement.pk)


@router.get("/{int:alliance_id}/agreements", response=list[AgreementOut], summary="Les conventions d'une alliance")
def list_agreements(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    agreements = Agreement.objects.filter(alliance=alliance).select_related("created_by_workspace__organization")
    return [agreement_out(a) for a in agreements]


@router.post(
    "/{int:alliance_id}/agreements",
    response={201: AgreementOut},
    summary="Enregistrer une convention (sans fichier)",
    description="Corps JSON. Pour joindre le PDF signé dans la même requête, voir /agreements/signed (multipart).",
)
def record_agreement(request, alliance_id: int, payload: AgreementIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    return Status(201, agreement_out(_record(request, alliance, payload)))


@router.post(
    "/{int:alliance_id}/agreements/signed",
    response={201: AgreementOut},
    summary="Enregistrer une convention avec son PDF signé",
    description="multipart/form-data : `metadata` (le même objet JSON que /agreements, en texte) et `file` "
    "(le PDF, 10 Mo au plus ; son contenu doit commencer par %PDF). Rien n'est enregistré si l'un est refusé.",
)
def record_signed_agreement(
    request,
    alliance_id: int,
    metadata: FormField[str] = None,  # type: ignore[assignment]  # optional here, so that 404/403 come first
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # the same: ninja's File is not Optional
):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    errors: dict[str, list[str]] = {}
    if file is None:
        errors["file"] = ["Joignez le PDF signé (champ « file » d'un envoi multipart/form-data)."]
    payload = None
    if not metadata:
        errors["metadata"] = ["Joignez les données de la convention (champ « metadata », objet JSON en texte)."]
    else:
        try:
            payload = AgreementIn.model_validate(json.loads(metadata))
        except (ValueError, RecursionError, PydanticValidationError) as exc:
            details = translate(exc.errors()) if isinstance(exc, PydanticValidationError) else []
            errors["metadata"] = [
                " ".join(d["message"] for d in details) or "Le champ « metadata » n'est pas un objet JSON valide."
            ]
    if errors or payload is None:  # no payload: an error on « metadata » above
        raise ValidationError(errors)
    return Status(201, agreement_out(_record(request, alliance, payload, file=file)))


# --- Corrections (decision 0016) -----------------------------------------------------------------------------------


class CorrectionOut(Schema):
    at: datetime
    by: str = Field(description="la personne, telle qu'elle s'appelait ce jour-là")
    organization: str = Field(description="l'organisation de l'espace qui a corrigé")
    reason: str
    changes: list[list[str]] = Field(description="[champ, avant, après], tels que les pages les affichent")


def corrections_out(corrections) -> list[CorrectionOut]:
    return [
        CorrectionOut(
            at=c.at, by=c.by, organization=c.organization, reason=c.reason, changes=[list(x) for x in c.changes]
        )
        for c in corrections
    ]


class InteractionCorrectionIn(Schema):
    kind: InteractionKind | None = None
    occurred_on: date | None = None
    duration_minutes: int | None = None
    subject: Text | None = Field(None, max_length=200)
    notes: Text | None = Field(None, max_length=10000)
    reason: Text = Field("", max_length=500, description="pourquoi cette correction (gardé dans l'historique)")


class AgreementCorrectionIn(Schema):
    kind: AgreementKind | None = None
    title: Text | None = Field(None, max_length=200)
    signed_on: date | None = None
    duration_months: int | None = None
    amount: Amount | None = None
    renewal_on: date | None = None
    reason: Text = Field("", max_length=500, description="pourquoi cette correction (gardé dans l'historique)")


def _changes(payload) -> tuple[dict, str]:
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    if "kind" in changes and changes["kind"] is not None:
        changes["kind"] = getattr(changes["kind"], "value", changes["kind"])
    return changes, reason


def _interaction(request, alliance_id: int, interaction_id: int):
    alliance = visible_alliance(request, alliance_id)
    if not 1 <= interaction_id <= 2**63 - 1:
        raise Http404("Échange introuvable.")
    return alliance, get_visible_or_404(interactions_of(alliance, request.workspace), pk=interaction_id)


def _agreement(request, alliance_id: int, agreement_id: int):
    alliance = visible_alliance(request, alliance_id)
    if not 1 <= agreement_id <= 2**63 - 1:
        raise Http404("Accord introuvable.")
    queryset = Agreement.objects.filter(alliance=alliance).select_related("created_by_workspace__organization")
    return alliance, get_visible_or_404(queryset, pk=agreement_id)


@router.patch(
    "/{int:alliance_id}/interactions/{int:interaction_id}",
    response=InteractionOut,
    summary="Corriger un échange (seuls les champs envoyés changent ; l'historique garde avant et après)",
    description="Par l'espace qui l'a noté (403 sinon). Une nouvelle durée change le temps investi des présents.",
)
def correct_interaction(request, alliance_id: int, interaction_id: int, payload: InteractionCorrectionIn):
    alliance, interaction = _interaction(request, alliance_id, interaction_id)
    require_role(request)
    changes, reason = _changes(payload)
    actions.correct_interaction(
        interaction=interaction, workspace=request.workspace, user=request.user, changes=changes, reason=reason
    )
    return interaction_out(interactions_of(alliance, request.workspace).get(pk=interaction.pk))


@router.get(
    "/{int:alliance_id}/interactions/{int:interaction_id}/corrections",
    response=list[CorrectionOut],
    summary="L'historique des corrections d'un échange",
)
def interaction_corrections(request, alliance_id: int, interaction_id: int):
    from maillage.alliances.corrections import interaction_corrections as history

    _alliance, interaction = _interaction(request, alliance_id, interaction_id)
    return corrections_out(history(interaction))


@router.patch(
    "/{int:alliance_id}/agreements/{int:agreement_id}",
    response=AgreementOut,
    summary="Corriger une convention (seuls les champs envoyés changent ; l'historique garde avant et après)",
    description="Par l'espace qui l'a enregistrée (403 sinon). Le PDF signé ne se remplace pas : "
    "enregistrez la nouvelle version.",
)
def correct_agreement(request, alliance_id: int, agreement_id: int, payload: AgreementCorrectionIn):
    _alliance, agreement = _agreement(request, alliance_id, agreement_id)
    require_role(request)
    changes, reason = _changes(payload)
    actions.correct_agreement(
        agreement=agreement, workspace=request.workspace, user=request.user, changes=changes, reason=reason
    )
    return agreement_out(_agreement(request, alliance_id, agreement_id)[1])


@router.get(
    "/{int:alliance_id}/agreements/{int:agreement_id}/corrections",
    response=list[CorrectionOut],
    summary="L'historique des corrections d'une convention",
)
def agreement_corrections(request, alliance_id: int, agreement_id: int):
    from maillage.alliances.corrections import agreement_corrections as history

    _alliance, agreement = _agreement(request, alliance_id, agreement_id)
    return corrections_out(history(agreement))


# --- Private notes -------------------------------------------------------------------------------------------------


class NoteIn(Schema):
    text: Text = Field(..., max_length=5000)


class NoteOut(Schema):
    id: int
    text: str
    author: str | None
    created_at: datetime


def note_out(n: AllianceNote) -> NoteOut:
    return NoteOut(id=n.pk, text=n.text, author=str(n.author) if n.author_id else None, created_at=n.created_at)


@router.get(
    "/{int:alliance_id}/notes",
    response=list[NoteOut],
    summary="Les notes privées de mon espace sur cette alliance",
    description="Les autres parties ne les voient jamais, ni ici ni ailleurs.",
)
def list_notes(request, alliance_id: int):
    alliance = visible_alliance(request, alliance_id)
    notes = AllianceNote.objects.visible_to(request.workspace).filter(alliance=alliance).select_related("author")
    return [note_out(n) for n in notes]


@router.post("/{int:alliance_id}/notes", response={201: NoteOut}, summary="Ajouter une note privée")
def add_note(request, alliance_id: int, payload: NoteIn):
    alliance = visible_alliance(request, alliance_id)
    require_role(request)
    note = actions.add_alliance_note(
        alliance=alliance, workspace=request.workspace, user=request.user, text=payload.text
    )
    return Status(201, note_out(note))
