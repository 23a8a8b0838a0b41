"""Suggestions for one organisation: retrieve a bounded candidate set with indexes, then score it in Python.

Retrieval follows the territorial hierarchy (same EPCI, same département, same région, France entière) and the
causes (a bit mask filtered in SQL), each step bounded, so that the work does not grow with the size of the
country. Only public data feeds another workspace's suggestions: published needs, offers and calls, and the
shared directory. Alliances are read only for the acting workspace's own network (``Party`` rows of the alliances
it is an active party of, i.e. ``Alliance.objects.visible_to``); notes, contacts and contributions are never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import Exists, F, OuterRef

from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, Party
from maillage.matching.models import CallForProjects, Need, Offer, Status
from maillage.matching.scoring import Match, Network, Place, Side, best_match, score
from maillage.organizations.causes import CAUSE_LABELS, CAUSES
from maillage.organizations.models import PUBLIC_KINDS, Kind, Organization

CAUSE_BITS = {code: 1 << position for position, (code, _, _) in enumerate(CAUSES)}
GIVER_KINDS = {Kind.COMPANY, Kind.FOUNDATION}
WORKED_STAGES = {Stage.ACTIVE, Stage.EVALUATION, Stage.RENEWED, Stage.CLOSED}
# Bounds of each retrieval step (rows read from the database at most, per item type).
LIMITS = {"epci": 60, "departement": 200, "region": 100, "national": 60, "directory": 80}
MODELS = {"need": Need, "offer": Offer, "call": CallForProjects}
# What each kind of organisation may publish (see matching.actions.ALLOWED): its own items shape its profile.
PUBLISHES = {Kind.COMPANY: ("offer",), Kind.FOUNDATION: ("need", "offer", "call")}
PUBLISHES.update(dict.fromkeys(PUBLIC_KINDS, ("call",)))
ITEM_TYPE_LABELS = {"need": "Besoin", "offer": "Offre", "call": "Appel à projets"}


def cause_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= CAUSE_BITS.get(code, 0)
    return mask


def causes_of_mask(mask: int) -> frozenset[str]:
    return frozenset(code for code, bit in CAUSE_BITS.items() if mask & bit)


@dataclass
class Suggestion:
    source: str  # "item" (a need, offer or call), "partner" (an organisation) or "network"
    organization_id: int
    match: Match
    item_type: str | None = None
    item_id: int | None = None
    organization: Organization | None = None
    item: object | None = None
    slug: str = ""  # the page's URL word of the item type (set by the pages)

    @property
    def score(self) -> int:
        return self.match.score

    @property
    def item_label(self) -> str:
        return ITEM_TYPE_LABELS.get(self.item_type or "", "")


@dataclass
class Suggestions:
    organization: Organization
    items: list[Suggestion] = field(default_factory=list)
    partners: list[Suggestion] = field(default_factory=list)
    network: list[Suggestion] = field(default_factory=list)
    bridges: list[tuple[Organization, list[str]]] = field(default_factory=list)


def role_of(kind: str) -> str:
    """``seeker`` (associations and the like), ``giver`` (companies, foundations) or ``public``."""
    if kind in GIVER_KINDS:
        return "giver"
    if kind in PUBLIC_KINDS:
        return "public"
    return "seeker"


def place_of(org: Organization) -> Place:
    names = {}
    for level in ("commune", "epci", "departement", "region"):
        value = getattr(org, level, None) if level in org._state.fields_cache else None
        if value is not None:
            names[level] = value.name
    return Place(org.commune_id, org.epci_id, org.departement_id, org.region_id, names=names)


def org_side(org: Organization, causes: Iterable[str]) -> Side:
    return Side(
        organization_id=org.pk,
        org_kind=org.kind,
        place=place_of(org),
        causes=frozenset(causes),
        budget_band=org.budget_band,
        workforce_band=org.workforce_band,
        text=org.description if not org.is_reference else "",
    )


def item_side(item_type: str, row: dict) -> Side:
    """A candidate side from a ``values()`` row (or a model instance turned into one by :func:`item_row`)."""
    level = row["territory_level"]
    if item_type == "need":
        domains = frozenset([row["skill_domain"]] if row.get("skill_domain") else [])
    elif item_type == "offer":
        domains = frozenset(row.get("skill_domains") or [])
    else:
        domains = frozenset()
    return Side(
        organization_id=row["organization_id"],
        org_kind=row["organization__kind"],
        place=Place(row["commune_id"], row["epci_id"], row["departement_id"], row["region_id"], level == "national"),
        causes=frozenset(row["causes"] or []),
        budget_band=row["organization__budget_band"],
        workforce_band=row["organization__workforce_band"],
        item_kind=row.get("kind", "funding"),
        gives=item_type != "need",
        skill_domains=domains,
        text=f"{row['title']} {row['description']}",
    )


def _fields(item_type: str) -> list[str]:
    base = [
        "id",
        "organization_id",
        "workspace_id",
        "causes",
        "territory_level",
        "commune_id",
        "epci_id",
        "departement_id",
        "region_id",
        "title",
        "description",
        "organization__kind",
        "organization__budget_band",
        "organization__workforce_band",
    ]
    extra = {"need": ["kind", "skill_domain"], "offer": ["kind", "skill_domains"], "call": []}[item_type]
    return base + extra


def item_row(item_type: str, item) -> dict:
    row = {name: getattr(item, name) for name in _fields(item_type) if "__" not in name}
    org = item.organization
    row.update(
        {
            "organization__kind": org.kind,
            "organization__budget_band": org.budget_band,
            "organization__workforce_band": org.workforce_band,
        }
    )
    return row


def retrieve_items(item_type: str, place: Place, mask: int, exclude_orgs: set[int]) -> list[dict]:
    """Published items near ``place``, by steps of the territorial hierarchy, each bounded and indexed."""
    model = MODELS[item_type]
    base = model.objects.filter(status=Status.PUBLISHED).order_by("-published_at")
    with_cause = base.annotate(shared=F("cause_mask").bitand(mask)).filter(shared__gt=0) if mask else base
    steps = []
    if place.epci:  # nearby items are kept even with no cause in common: they rank lower, they are not hidden
        steps.append(base.filter(epci_id=place.epci)[: LIMITS["epci"]])
    if place.departement:
        steps.append(with_cause.filter(departement_id=place.departement)[: LIMITS["departement"]])
    if place.region:
        steps.append(with_cause.filter(region_id=place.region)[: LIMITS["region"]])
    steps.append(with_cause.filter(territory_level="national")[: LIMITS["national"]])
    rows: dict[int, dict] = {}
    for row in fetch_union([queryset.values(*_fields(item_type)) for queryset in steps]):
        if row["organization_id"] not in exclude_orgs:
            rows.setdefault(row["id"], row)
    return list(rows.values())


def fetch_union(querysets: list) -> list:
    """The rows of bounded querysets in one round trip (UNION ALL) where the database allows it (PostgreSQL).

    On a loaded server the round trips, not the index scans, dominate the time of a suggestion.
    """
    if len(querysets) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return list(querysets[0].union(*querysets[1:], all=True))
    return [row for queryset in querysets for row in queryset]


def directory_candidates(org: Organization, causes: frozenset[str], targets: Sequence[str]) -> list[Organization]:
    """Organisations of the directory of the kinds that complement ``org``, near it and sharing a cause."""
    through = Organization.causes.through
    base = Organization.objects.filter(kind__in=targets).exclude(pk=org.pk).order_by()
    if causes:
        base = base.filter(Exists(through.objects.filter(organization_id=OuterRef("pk"), cause_id__in=causes)))
    fields = ("id", "kind", "name", "commune_id", "epci_id", "departement_id", "region_id", "budget_band")
    fields += ("workforce_band", "territory_key", "description")
    found: dict[int, Organization] = {}
    steps = []
    if org.epci_id:
        steps.append(base.filter(epci_id=org.epci_id))
    if org.departement_id:
        steps.append(base.filter(departement_id=org.departement_id))
    steps = [queryset.only(*fields)[: LIMITS["directory"]] for queryset in steps]
    if role_of(org.kind) == "seeker":  # the local authorities of its own territory
        keys = [f"commune:{org.commune_id}", f"epci:{org.epci_id}", f"departement:{org.departement_id}"]
        keys.append(f"region:{org.region_id}")
        steps.append(Organization.objects.filter(territory_key__in=keys).order_by().only(*fields)[:4])
    for candidate in fetch_union(steps):
        found.setdefault(candidate.pk, candidate)
    return list(found.values())


def network_of(org: Organization, workspaces: Sequence) -> tuple[Network, dict[int, set[str]]]:
    """The acting workspace's own network, read from the alliances it is an active party of, and only those.

    Returns the network and, per organisation met there, the kinds of the organisations it sits with.
    """
    network = Network()
    if not workspaces:
        return network, {}
    visible = Party.objects.filter(workspace__in=workspaces, left_at__isnull=True).values("alliance_id")
    alliances = {a.pk: a for a in Alliance.objects.filter(pk__in=visible).only("id", "name", "stage", "forms")}
    for alliance in alliances.values():
        if alliance.stage in WORKED_STAGES:
            for form in alliance.forms:
                network.worked_forms[form] = network.worked_forms.get(form, 0) + 1
    parties = list(
        Party.objects.filter(alliance_id__in=list(alliances)).values_list(
            "alliance_id", "organization_id", "organization__name", "organization__kind"
        )
    )
    by_alliance: dict[int, list[tuple[int, str, str]]] = {}
    for alliance_id, org_id, name, kind in parties:
        by_alliance.setdefault(alliance_id, []).append((org_id, name, kind))
    neighbours: dict[int, set[str]] = {}
    for alliance_id, members in by_alliance.items():
        for org_id, _, _ in members:
            if org_id == org.pk:
                continue
            network.partners.setdefault(org_id, alliances[alliance_id].name)
            others = [(o, n, k) for o, n, k in members if o not in (org.pk, org_id)]
            if others:
                network.second_degree.setdefault(org_id, others[0][1])
            neighbours.setdefault(org_id, set()).update(k for o, _, k in others)
    return network, neighbours


def acting_sides(org: Organization, workspaces: Sequence, org_causes: frozenset[str]) -> list[Side]:
    """The acting organisation, and each of its own open items (drafts included: they are its own)."""
    sides = [org_side(org, org_causes)]
    for item_type, model in MODELS.items():
        if item_type not in PUBLISHES.get(org.kind, ("need",)):
            continue
        items = (
            model.objects.filter(workspace__in=workspaces).exclude(status=Status.CLOSED).select_related("organization")
        )
        sides += [item_side(item_type, item_row(item_type, item)) for item in items]
    names = sides[0].place.names
    for side in sides[1:]:  # the organisation's place names, where the item lies in the same place
        own = {level: names[level] for level in names if getattr(side.place, level) == getattr(sides[0].place, level)}
        side.place = replace(side.place, names=own)
    return sides


def suggestions_for(org: Organization, *, workspaces: Sequence = (), limit: int = 20) -> Suggestions:
    """Top ``limit`` items, partners and network suggestions for ``org`` acting through ``workspaces``."""
    org = Organization.objects.select_related("commune", "epci", "departement", "region").get(pk=org.pk)
    org_causes = frozenset(org.causes.values_list("code", flat=True))
    me = acting_sides(org, workspaces, org_causes)
    my_causes = org_causes.union(*(side.causes for side in me))
    network, neighbours = network_of(org, workspaces)
    mask = cause_mask(my_causes)
    role = role_of(org.kind)
    item_types = ["offer", "call"] if role == "seeker" else ["need"]
    exclude = {org.pk}
    scored: list[Suggestion] = []
    for item_type in item_types:
        for row in retrieve_items(item_type, me[0].place, mask, exclude):
            match = best_match(me, item_side(item_type, row), network, CAUSE_LABELS)
            scored.append(Suggestion("item", row["organization_id"], match, item_type, row["id"]))
    scored.sort(key=lambda s: (-s.score, s.item_type or "", -(s.item_id or 0)))
    result = Suggestions(organization=org, items=scored[:limit])

    targets = {"seeker": [Kind.COMPANY, Kind.FOUNDATION, Kind.ASSOCIATION, Kind.SIAE]}.get(
        role, [Kind.ASSOCIATION, Kind.SIAE]
    )
    candidates = directory_candidates(org, my_causes, targets)
    through = Organization.causes.through
    candidate_causes: dict[int, set[str]] = {}
    for org_id, cause_id in through.objects.filter(organization_id__in=[c.pk for c in candidates]).values_list(
        "organization_id", "cause_id"
    ):
        candidate_causes.setdefault(org_id, set()).add(cause_id)
    best_by_org: dict[int, Suggestion] = {}
    for suggestion in scored:  # an organisation that published a matching item is a partner too
        current = best_by_org.get(suggestion.organization_id)
        if current is None or suggestion.score > current.score:
            best_by_org[suggestion.organization_id] = suggestion
    for candidate in candidates:
        side = org_side(candidate, candidate_causes.get(candidate.pk, ()))
        match = best_match(me, side, network, CAUSE_LABELS)
        current = best_by_org.get(candidate.pk)
        if current is None or match.score > current.score:
            best_by_org[candidate.pk] = Suggestion("partner", candidate.pk, match)
    partners = sorted(best_by_org.values(), key=lambda s: (-s.score, s.organization_id))[:limit]
    result.partners = partners
    result.network = network_suggestions(org, me, network, workspaces, limit)
    result.bridges = [(org_id, sorted(kinds)) for org_id, kinds in neighbours.items()]
    hydrate(result)
    return result


def network_suggestions(org, me: list[Side], network: Network, workspaces, limit: int) -> list[Suggestion]:
    """Published items of the organisations met in the workspace's own alliances (its partners)."""
    partner_ids = [pk for pk in network.partners if pk != org.pk]
    if not partner_ids:
        return []
    found: list[Suggestion] = []
    for item_type, model in MODELS.items():
        rows = (
            model.objects.filter(status=Status.PUBLISHED, organization_id__in=partner_ids)
            .exclude(workspace__in=workspaces)
            .order_by("-published_at")
            .values(*_fields(item_type))[:limit]
        )
        for row in rows:
            match = best_match(me, item_side(item_type, row), network, CAUSE_LABELS)
            found.append(Suggestion("network", row["organization_id"], match, item_type, row["id"]))
    found.sort(key=lambda s: -s.score)
    return found[:limit]


def hydrate(result: Suggestions) -> None:
    """Attach the organisations and items to show: one query per model, whatever the number of suggestions."""
    every = result.items + result.partners + result.network
    org_ids = {s.organization_id for s in every}
    bridge_kinds = dict(result.bridges)
    org_ids |= set(bridge_kinds)
    orgs = Organization.objects.select_related("commune", "departement").in_bulk(org_ids)
    for item_type, model in MODELS.items():
        ids = {s.item_id for s in every if s.item_type == item_type}
        items = model.objects.in_bulk(ids) if ids else {}
        for s in every:
            if s.item_type == item_type:
                s.item = items.get(s.item_id)
    for s in every:
        s.organization = orgs.get(s.organization_id)
    bridges = []
    for org_id, kinds in result.bridges:
        o = orgs.get(org_id)
        if (
            o is not None
            and o.kind == Kind.ASSOCIATION
            and {"company", "foundation"} & set(kinds)
            and set(kinds) & set(PUBLIC_KINDS)
            and (o.region_id is None or o.region_id == result.organization.region_id)  # on my territory
        ):
            bridges.append((o, kinds))
    result.bridges = bridges


def explain(org: Organization, workspaces: Sequence, target: Organization, item_type: str | None, item) -> Match:
    """The suggestion of ``target`` (through ``item`` if any) for ``org``, recomputed: what an origin records."""
    org = Organization.objects.select_related("commune", "epci", "departement", "region").get(pk=org.pk)
    org_causes = frozenset(org.causes.values_list("code", flat=True))
    me = acting_sides(org, workspaces, org_causes)
    network, _ = network_of(org, workspaces)
    if item is not None and item_type:
        other = item_side(item_type, item_row(item_type, item))
    else:
        other = org_side(target, target.causes.values_list("code", flat=True))
    return best_match(me, other, network, CAUSE_LABELS)


__all__ = ["score", "suggestions_for", "explain", "Suggestion", "Suggestions", "cause_mask"]
