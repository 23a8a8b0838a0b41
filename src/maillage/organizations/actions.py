"""Domain actions on the directory: one function per change of state, used by pages, API, importer and CLI."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction

from maillage.core.bulk_sql import insert_returning_ids, write_rows
from maillage.core.hostile import single_line_error
from maillage.core.text import normalize
from maillage.organizations import identifiers
from maillage.organizations.models import (
    PUBLIC_KINDS,
    BudgetBand,
    Cause,
    Contact,
    Kind,
    Organization,
    PrivateNote,
    SearchToken,
    WorkforceBand,
)
from maillage.organizations.search import index_organizations, tokens_of
from maillage.territories.models import Commune


class DuplicateOrganization(ValidationError):
    """The identifier already belongs to an organisation of the directory: ``existing`` is that entry."""

    def __init__(self, field: str, message: str, existing: Organization):
        super().__init__({field: [message]})
        self.existing = existing
        self.field = field


# Read once: an import checks thousands of rows (``TextChoices.values`` builds a new list at each access).
_KINDS = frozenset(Kind.values)
_BANDS = {"budget_band": frozenset(BudgetBand.values), "workforce_band": frozenset(WorkforceBand.values)}
_URL = URLValidator(schemes=["http", "https"])


def _clean(data: dict, *, communes: dict | None = None, nafs: set[str] | None = None) -> dict:
    """The checked fields of a new organisation, or ``ValidationError``. ``communes`` (code → Commune) and
    ``nafs`` (the NAF codes) read in advance spare the queries (an import checks thousands of rows)."""

    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    def check(field: str, func, value, *more):
        try:
            return func(value, *more)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
            return None

    kind = data.get("kind") or ""
    if kind not in _KINDS:
        errors["kind"] = [f"Type d'organisation inconnu : « {kind} ». Choisissez parmi : {', '.join(Kind.values)}."]
    elif kind in {Kind.COMMUNE, Kind.EPCI, Kind.DEPARTEMENT, Kind.REGION}:
        errors["kind"] = [
            "Les collectivités (communes, EPCI, départements, régions) sont déjà dans l'annuaire, "
            "créées à partir du référentiel officiel : recherchez-les plutôt que de les ajouter."
        ]
    cleaned["kind"] = kind
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = ["Le nom est obligatoire."]
    elif len(name) > 200:
        errors["name"] = [f"Le nom compte {len(name)} caractères ; 200 au plus."]
    elif single_line_error(name, "Le nom de l'organisation"):
        errors["name"] = single_line_error(name, "Le nom de l'organisation")
    cleaned["name"] = name
    for field, func in (
        ("siren", identifiers.clean_siren),
        ("siret", identifiers.clean_siret),
        ("rna", identifiers.clean_rna),
    ):
        value = (data.get(field) or "").strip()
        cleaned[field] = check(field, func, value) if value else None
    if cleaned.get("siren") and cleaned.get("siret") and not cleaned["siret"].startswith(cleaned["siren"]):
        errors.setdefault("siret", []).append(
            "Le SIRET doit commencer par le SIREN de l'organisation (ses 9 premiers chiffres)."
        )
    if cleaned.get("siret") and not cleaned.get("siren"):
        cleaned["siren"] = cleaned["siret"][:9]
    if cleaned.get("rna") and kind not in {Kind.ASSOCIATION, Kind.FOUNDATION, Kind.SIAE, ""}:
        errors.setdefault("rna", []).append("Seules les associations ont un numéro RNA.")
    naf = (data.get("naf") or "").strip()
    cleaned["naf_id"] = check("naf", identifiers.clean_naf, naf, nafs) if naf else None
    commune_code = (data.get("commune") or "").strip().upper()
    cleaned["commune"] = None
    if commune_code:
        if communes is not None and commune_code in communes:
            commune = communes[commune_code]
        else:
            commune = Commune.objects.filter(code=commune_code).first()
        if commune is None:
            errors["commune"] = [
                f"La commune « {commune_code} » n'existe pas dans le code officiel géographique : "
                "indiquez son code INSEE à 5 caractères (ex. 69123 pour Lyon, 2A004 pour Ajaccio)."
            ]
        cleaned["commune"] = commune
    causes = list(data.get("causes") or [])
    known = set(Cause.objects.filter(code__in=causes).values_list("code", flat=True)) if causes else set()
    unknown = [c for c in causes if c not in known]
    if unknown:
        errors["causes"] = [f"Cause(s) inconnue(s) : {', '.join(map(str, unknown))}."]
    cleaned["causes"] = sorted(known)
    for field, choices in (("budget_band", BudgetBand), ("workforce_band", WorkforceBand)):
        value = data.get(field) or ""
        if value and value not in _BANDS[field]:
            errors[field] = [f"Valeur inconnue « {value} » : choisissez parmi {', '.join(choices.values)}."]
        cleaned[field] = value
    website = (data.get("website") or "").strip()
    if website:
        try:
            _URL(website)
        except ValidationError:
            errors["website"] = ["L'adresse du site doit être une URL complète (ex. https://exemple.fr)."]
    cleaned["website"] = website
    description = (data.get("description") or "").strip()
    if len(description) > 5000:
        errors["description"] = [f"La présentation compte {len(description)} caractères ; 5 000 au plus."]
    cleaned["description"] = description
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_duplicates(cleaned: dict) -> None:
    labels = {"siren": "ce SIREN", "siret": "ce SIRET", "rna": "ce numéro RNA"}
    for field in ("siren", "siret", "rna"):
        value = cleaned.get(field)
        if value:
            existing = Organization.objects.filter(**{field: value}).first()
            if existing is not None:
                raise DuplicateOrganization(
                    field, f"Une organisation de l'annuaire porte déjà {labels[field]} : « {existing.name} ».", existing
                )


@transaction.atomic
def create_organization(*, data: dict, created_by=None, workspace=None) -> Organization:
    """Add an organisation to the shared directory, with validated identifiers; refuse a duplicate."""
    cleaned = _clean(data)
    _check_duplicates(cleaned)
    commune = cleaned.pop("commune")
    causes = cleaned.pop("causes")
    organization = Organization(
        **cleaned,
        name_search=normalize(cleaned["name"]),
        commune=commune,
        # An arrondissement of Paris, Lyon or Marseille belongs to its commune's EPCI.
        epci_id=(commune.epci_id or (commune.parent.epci_id if commune.parent_id else None)) if commune else None,
        departement_id=commune.departement_id if commune else None,
        region_id=commune.region_id if commune else None,
        created_by=created_by,
        created_by_workspace=workspace,
    )
    organization.save()
    organization.causes.set(causes)
    index_organizations([organization], replace=False)
    return organization


def check_organization(data: dict, *, communes: dict | None = None, nafs: set[str] | None = None) -> dict:
    """What :func:`create_organization` checks before writing (not the duplicates): the import checks its rows
    with it before anything is written, then writes them with :func:`create_organizations`."""
    return _clean(data, communes=communes, nafs=nafs)


def create_organizations(rows: list[dict], *, created_by=None, workspace=None) -> list[int]:
    """Add checked organisations (``check_organization``'s results, with their ``commune``) to the directory at
    once, with their search index: one insert for the organisations, one for their index words, rows written as
    tuples (no model instance: a thousand rows cost a few milliseconds, not seconds). Returns their ids, in the
    order of ``rows``. A duplicate identifier is refused by the unique constraints (``IntegrityError``): the
    caller looked them up before. ``workspace`` is the workspace that adds them: the only one that may correct
    them later."""
    if not rows:
        return []
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = created_by.pk if created_by is not None else None
    workspace_id = workspace.pk if workspace is not None else None
    places: dict[str, tuple] = {}  # commune code → (epci, departement, region, index words of the place)
    # An arrondissement of Paris, Lyon or Marseille belongs to its commune's EPCI: read together.
    parents = {c.parent_id for c in (r.get("commune") for r in rows) if c is not None and c.parent_id and not c.epci_id}
    parent_epci = dict(Commune.objects.filter(code__in=parents).values_list("code", "epci_id")) if parents else {}
    values, names = [], []
    for cleaned in rows:
        commune: Commune | None = cleaned.get("commune")
        if commune is None:
            place: tuple = (None, None, None, ())
        elif (known := places.get(commune.code)) is not None:
            place = known
        else:
            epci = commune.epci_id or parent_epci.get(commune.parent_id or "")
            place = (epci, commune.departement_id, commune.region_id, (commune.name, commune.postal_codes))
            places[commune.code] = place
        name = cleaned["name"]
        name_search = normalize(name)
        names.append((name, name_search, place[3]))
        values.append(
            (
                cleaned["kind"],
                name,
                name_search,
                cleaned.get("siren") or None,
                cleaned.get("siret") or None,
                cleaned.get("rna") or None,
                cleaned.get("naf_id") or None,
                commune.code if commune is not None else None,
                place[0],
                place[1],
                place[2],
                cleaned.get("budget_band") or "",
                cleaned.get("workforce_band") or "",
                cleaned.get("website") or "",
                cleaned.get("description") or "",
                user_id,
                workspace_id,
                now,
            )
        )
    # Written in name order, and the index words in word order: each insert lands next to the previous one in
    # the indexes' pages (name, word), not all over them; the ids are given back in the order of ``rows``.
    order = sorted(range(len(values)), key=lambda i: values[i][2])
    ids = [0] * len(values)
    for position, pk in zip(
        order, insert_returning_ids(Organization, list(_CREATED_COLUMNS), [values[i] for i in order]), strict=True
    ):
        ids[position] = pk
    tokens = sorted(
        (token, name_search, pk)
        for pk, (name, name_search, place) in zip(ids, names, strict=True)
        for token in tokens_of(name, *place)
    )
    write_rows(SearchToken, ["token", "name_search", "organization_id"], tokens)
    return ids


# The columns a new organisation gets from create_organizations (the others: NULL, or a territory's only).
_CREATED_COLUMNS = (
    "kind",
    "name",
    "name_search",
    "siren",
    "siret",
    "rna",
    "naf_id",
    "commune_id",
    "epci_id",
    "departement_id",
    "region_id",
    "budget_band",
    "workforce_band",
    "website",
    "description",
    "created_by_id",
    "created_by_workspace_id",
    "created_at",
)


def is_public_kind(kind: str) -> bool:
    return kind in PUBLIC_KINDS


def add_private_note(*, workspace, organization: Organization, text: str, tags: str = "", author=None) -> PrivateNote:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["La note est vide."]})
    if len(text) > 5000:
        raise ValidationError({"text": [f"La note compte {len(text)} caractères ; 5 000 au plus."]})
    if len(tags) > 200:
        raise ValidationError({"tags": ["Les étiquettes comptent 200 caractères au plus."]})
    return PrivateNote.objects.create(
        workspace=workspace, organization=organization, text=text, tags=tags.strip(), author=author
    )


def check_contact(*, organization_id: int, name: str, role: str = "", email: str = "", phone: str = "") -> Contact:
    """The checks of :func:`add_contact`, without writing: the contact to save (its workspace set by the caller)."""
    if single_line_error(name, "Le nom du contact"):
        raise ValidationError({"name": single_line_error(name, "Le nom du contact")})
    contact = Contact(
        organization_id=organization_id,
        name=(name or "").strip(),
        role=(role or "").strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
    )
    try:
        contact.full_clean(exclude=["workspace", "organization"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    return contact


def add_contact(
    *, workspace, organization: Organization, name: str, role: str = "", email: str = "", phone: str = ""
) -> Contact:
    contact = check_contact(organization_id=organization.pk, name=name, role=role, email=email, phone=phone)
    contact.workspace = workspace
    contact.save()
    return contact


def add_contacts(*, workspace, contacts: list[Contact]) -> list[Contact]:
    """Contacts checked by :func:`check_contact` (an import's batch), saved together: one ``INSERT`` per 500."""
    for contact in contacts:
        contact.workspace = workspace
    return Contact.objects.bulk_create(contacts, batch_size=500)


def causes_of(organizations: Iterable[Organization]) -> dict[int, list[Cause]]:
    return {o.pk: list(o.causes.all()) for o in organizations}


# --- corrections (decision 0016) ---------------------------------------------------------------------------------

CORRECTABLE = {
    "name": "Nom",
    "siren": "SIREN",
    "siret": "SIRET",
    "rna": "Numéro RNA",
    "naf": "Code NAF",
    "commune": "Commune",
    "website": "Site web",
    "description": "Présentation",
    "budget_band": "Budget annuel",
    "workforce_band": "Effectif",
}


def _organization_values(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "siren": organization.siren or "",
        "siret": organization.siret or "",
        "rna": organization.rna or "",
        "naf": organization.naf_id or "",
        "commune": organization.commune_id or "",
        "website": organization.website,
        "description": organization.description,
        "budget_band": organization.budget_band,
        "workforce_band": organization.workforce_band,
    }


def can_correct(organization: Organization, workspace) -> bool:
    """The shared directory is corrected only by the workspace that added the entry (never the reference bodies)."""
    return workspace is not None and organization.created_by_workspace_id == workspace.pk


@transaction.atomic
def correct_organization(
    *, organization: Organization, workspace, user, changes: dict, reason: str = ""
) -> Organization:
    """Correct an organisation the workspace added to the directory; every change is kept in the journal (who,
    when, before and after) and shown on its page. Identifiers are checked as at creation, duplicates refused."""
    from django.core.exceptions import PermissionDenied

    from maillage.audit.actions import record_event

    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if not can_correct(organization, workspace):
        raise PermissionDenied(
            "Seul l'espace qui a ajouté cette organisation à l'annuaire la corrige : l'annuaire est partagé."
        )
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValidationError({name: ["Ce champ ne se corrige pas ici."] for name in sorted(unknown)})
    before = _organization_values(organization)
    data = {**before, **{k: ("" if v is None else v) for k, v in changes.items()}, "kind": organization.kind}
    data["causes"] = []
    cleaned = _clean(data)
    for field in ("siren", "siret", "rna"):
        value = cleaned.get(field)
        if value and Organization.objects.filter(**{field: value}).exclude(pk=organization.pk).exists():
            labels = {"siren": "ce SIREN", "siret": "ce SIRET", "rna": "ce numéro RNA"}
            raise ValidationError({field: [f"Une autre organisation de l'annuaire porte déjà {labels[field]}."]})
    commune = cleaned["commune"]
    organization.name = cleaned["name"]
    organization.name_search = normalize(cleaned["name"])
    for field in ("siren", "siret", "rna"):
        setattr(organization, field, cleaned[field])
    organization.naf_id = cleaned["naf_id"]
    organization.commune = commune
    organization.epci_id = (
        (commune.epci_id or (commune.parent.epci_id if commune.parent_id else None)) if commune else None
    )
    organization.departement_id = commune.departement_id if commune else None
    organization.region_id = commune.region_id if commune else None
    for field in ("website", "description", "budget_band", "workforce_band"):
        setattr(organization, field, cleaned[field])
    after = _organization_values(organization)
    changed = [k for k in CORRECTABLE if before[k] != after[k]]
    if not changed:
        raise ValidationError("Rien n'a changé : modifiez au moins un champ.")
    organization.save()
    if "name" in changed or "commune" in changed:
        index_organizations([organization], replace=True)
    record_event(
        action="organization.corrected",
        actor=user,
        workspace=workspace,
        target=organization,
        details={
            "before": {k: before[k] for k in changed},
            "after": {k: after[k] for k in changed},
            "reason": (reason or "").strip()[:500],
        },
    )
    return organization
