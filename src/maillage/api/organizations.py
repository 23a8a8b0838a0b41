from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.api.auth import require_role
from maillage.core.tenancy import get_visible_or_404
from maillage.organizations import actions
from maillage.organizations.models import Contact, Kind, Organization, PrivateNote
from maillage.organizations.search import DirectoryQuery, search_directory

router = Router(tags=["Annuaire"])


class OrganizationOut(Schema):
    id: int
    kind: str
    name: str
    siren: str | None
    siret: str | None
    rna: str | None
    naf: str | None
    commune: str | None
    epci: str | None
    departement: str | None
    region: str | None
    population: int | None
    causes: list[str]
    budget_band: str
    workforce_band: str
    website: str
    description: str
    is_reference: bool


def organization_out(o: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=o.pk,
        kind=o.kind,
        name=o.name,
        siren=o.siren,
        siret=o.siret,
        rna=o.rna,
        naf=o.naf_id,
        commune=o.commune_id,
        epci=o.epci_id,
        departement=o.departement_id,
        region=o.region_id,
        population=o.population,
        causes=[c.code for c in o.causes.all()],
        budget_band=o.budget_band,
        workforce_band=o.workforce_band,
        website=o.website,
        description=o.description,
        is_reference=o.is_reference,
    )


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    page: int
    page_size: int
    has_next: bool


class OrganizationIn(Schema):
    kind: Kind
    name: str = Field(..., max_length=200)
    siren: str = Field("", max_length=20)
    siret: str = Field("", max_length=25)
    rna: str = Field("", max_length=15)
    naf: str = Field("", max_length=10)
    commune: str = Field("", max_length=5, description="code INSEE de la commune")
    causes: list[str] = Field(default_factory=list, max_length=20)
    budget_band: str = Field("", max_length=10)
    workforce_band: str = Field("", max_length=10)
    website: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)


class NoteIn(Schema):
    text: str = Field(..., max_length=5000)
    tags: str = Field("", max_length=200)


class NoteOut(Schema):
    id: int
    text: str
    tags: list[str]
    created_at: datetime


class ContactIn(Schema):
    name: str = Field(..., max_length=150)
    role: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str


@router.get("", response=OrganizationPage, summary="Chercher dans l'annuaire")
def list_organizations(
    request,
    q: str = "",
    kind: str = "",
    region: str = "",
    departement: str = "",
    epci: str = "",
    commune: str = "",
    cause: str = "",
    page: int = 1,
    page_size: int = 20,
):
    if not 1 <= page <= 10000:
        raise HttpError(422, "page : doit être compris entre 1 et 10 000.")
    if not 1 <= page_size <= 100:
        raise HttpError(422, "page_size : doit être compris entre 1 et 100.")
    q, region, departement, epci, commune, cause = (
        q[:200],
        region[:3],
        departement[:3],
        epci[:9],
        commune[:5],
        cause[:40],
    )
    if kind and kind not in Kind.values:
        raise HttpError(422, f"kind : type inconnu « {kind} » ; valeurs possibles : {', '.join(Kind.values)}.")
    result = search_directory(
        DirectoryQuery(
            q=q,
            kind=kind,
            region=region,
            departement=departement,
            epci=epci,
            commune=commune.upper(),
            cause=cause,
            page=page,
            page_size=page_size,
        )
    )
    return OrganizationPage(
        items=[organization_out(o) for o in result.results],
        page=result.page,
        page_size=page_size,
        has_next=result.has_next,
    )


@router.get("/{int:organization_id}", response=OrganizationOut, summary="Une organisation")
def get_organization(request, organization_id: int):
    return organization_out(get_visible_or_404(Organization.objects.prefetch_related("causes"), pk=organization_id))


@router.post("", response={201: OrganizationOut}, summary="Ajouter une organisation à l'annuaire")
def create_organization(request, payload: OrganizationIn):
    require_role(request)
    organization = actions.create_organization(
        data=payload.dict(), created_by=request.user, workspace=getattr(request, "workspace", None)
    )
    return Status(201, organization_out(organization))


@router.get("/{int:organization_id}/notes", response=list[NoteOut], summary="Notes privées de mon espace")
def list_notes(request, organization_id: int):
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    return [
        NoteOut(id=n.pk, text=n.text, tags=n.tag_list, created_at=n.created_at)
        for n in PrivateNote.objects.visible_to(request.workspace).filter(organization=organization)
    ]


@router.post("/{int:organization_id}/notes", response={201: NoteOut}, summary="Ajouter une note privée")
def add_note(request, organization_id: int, payload: NoteIn):
    require_role(request)
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    note = actions.add_private_note(
        workspace=request.workspace,
        organization=organization,
        text=payload.text,
        tags=payload.tags,
        author=request.user,
    )
    return Status(201, NoteOut(id=note.pk, text=note.text, tags=note.tag_list, created_at=note.created_at))


@router.get("/{int:organization_id}/contacts", response=list[ContactOut], summary="Contacts privés de mon espace")
def list_contacts(request, organization_id: int):
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    return [
        ContactOut(id=c.pk, name=c.name, role=c.role, email=c.email, phone=c.phone)
        for c in Contact.objects.visible_to(request.workspace).filter(organization=organization)
    ]


@router.post("/{int:organization_id}/contacts", response={201: ContactOut}, summary="Ajouter un contact privé")
def add_contact(request, organization_id: int, payload: ContactIn):
    require_role(request)
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    contact = actions.add_contact(workspace=request.workspace, organization=organization, **payload.dict())
    return Status(
        201, ContactOut(id=contact.pk, name=contact.name, role=contact.role, email=contact.email, phone=contact.phone)
    )


class OrganizationCorrectionIn(Schema):
    name: str | None = Field(None, max_length=200)
    siren: str | None = Field(None, max_length=20)
    siret: str | None = Field(None, max_length=25)
    rna: str | None = Field(None, max_length=15)
    naf: str | None = Field(None, max_length=10)
    commune: str | None = Field(None, max_length=10, description="code INSEE")
    website: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    budget_band: str | None = Field(None, max_length=10)
    workforce_band: str | None = Field(None, max_length=10)
    reason: str = Field("", max_length=500, description="pourquoi cette correction (gardé dans l'historique)")


@router.patch(
    "/{int:organization_id}",
    response=OrganizationOut,
    summary="Corriger une organisation que mon espace a ajoutée (l'historique garde avant et après)",
    description="L'annuaire est partagé : seul l'espace qui a ajouté l'organisation la corrige (403 sinon, et "
    "pour les collectivités et les organismes du référentiel).",
)
def correct_organization(request, organization_id: int, payload: OrganizationCorrectionIn):
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    require_role(request)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    actions.correct_organization(
        organization=organization, workspace=request.workspace, user=request.user, changes=changes, reason=reason
    )
    return organization_out(get_visible_or_404(Organization.objects.prefetch_related("causes"), pk=organization_id))


class CorrectionOut(Schema):
    at: datetime
    by: str
    organization: str
    reason: str
    changes: list[list[str]] = Field(description="[champ, avant, après], tels que les pages les affichent")


@router.get(
    "/{int:organization_id}/corrections",
    response=list[CorrectionOut],
    summary="L'historique des corrections d'une organisation",
)
def organization_corrections(request, organization_id: int):
    from maillage.organizations.queries import corrections_of

    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    return [
        CorrectionOut(
            at=c.at, by=c.by, organization=c.organization, reason=c.reason, changes=[list(x) for x in c.changes]
        )
        for c in corrections_of(organization)
    ]
