"""Suggestions for one organisation: retrieve a bounded candidate set with indexes, then score it in Python.

Retrieval goes by fit before recency: for each step of the territorial hierarchy (same commune, EPCI,
département, région, France entière) it first reads the items of the kind (and skills domain or goods sub-type)
that the acting organisation's own needs or offers ask for, those sharing a cause first, then the newest others;
each step is bounded, so that the work does not grow with the size of the country, and a dense area of newer
items cannot push the right one out. Causes are never a filter (a soft signal of the score). Items past their end
date (offers, needs) or their deadline (calls) are never retrieved. Only public data feeds another workspace's suggestions: published needs, offers and calls, and the
shared directory. Alliances are read only for the acting workspace's own network (``Party`` rows of the alliances
it is an active party of, i.e. ``Alliance.objects.visible_to``); notes, contacts and contributions are never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from django.db import connection
from django.db.models import Exists, Field, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Party
from maillage.matching import naf
from maillage.matching.models import CallForProjects, Need, Offer, Status
from maillage.matching.scoring import Match, Network, Place, Rarity, Side, best_match, score
from maillage.matching.similarity import words
from maillage.organizations.causes import CAUSE_LABELS, CAUSES
from maillage.organizations.models import PUBLIC_KINDS, Kind, Organization

CAUSE_BITS = {code: 1 << position for position, (code, _, _) in enumerate(CAUSES)}
GIVER_KINDS = {Kind.COMPANY, Kind.FOUNDATION}
WORKED_STAGES = {Stage.ACTIVE, Stage.EVALUATION, Stage.RENEWED, Stage.CLOSED}
# Bounds of each retrieval step (rows read from the database at most, per item type): ``fit`` for each kind the
# acting organisation asks or gives, ``any`` for the newest others.
LIMITS: dict[str, dict[str, int]] = {
    "commune": {"fit": 40, "any": 40},
    "epci": {"fit": 40, "any": 30},
    "departement": {"fit": 60, "any": 30},
    "region": {"fit": 40, "any": 20},
    "national": {"fit": 40, "any": 20},
}
DIRECTORY_LIMIT = 80  # organisations of the directory read as candidate partners
MAX_WANTS = 4  # distinct (kind, domain) of the acting side's own items that drive a fit step
MODELS: dict[str, type[Need] | type[Offer] | type[CallForProjects]] = {
    "need": Need,
    "offer": Offer,
    "call": CallForProjects,
}
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
    item: Need | Offer | CallForProjects | None = None
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
    known: list[Suggestion] = field(default_factory=list)  # current partners, shown apart from the new ones
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
        naf_domains=naf.skills_of(org.naf_id),
        naf_goods=naf.goods_of(org.naf_id),
    )


def item_side(item_type: str, row: dict) -> Side:
    """A candidate side from a ``values()`` row (or a model instance turned into one by :func:`item_row`)."""
    level = row["territory_level"]
    goods: frozenset[str] = frozenset()
    if item_type == "need":
        domains = frozenset([row["skill_domain"]] if row.get("skill_domain") else [])
        goods = frozenset([row["goods_type"]] if row.get("goods_type") else [])
        amount, hours = row.get("amount"), row.get("hours")
    elif item_type == "offer":
        domains = frozenset(row.get("skill_domains") or [])
        goods = frozenset(row.get("goods_types") or [])
        amount, hours = row.get("budget"), row.get("hours_per_year")
    else:
        domains = frozenset()
        amount, hours = row.get("budget"), None
    naf_code = row.get("organization__naf_id")
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
        item_type=item_type,
        title=row["title"],
        goods_types=goods,
        naf_domains=naf.skills_of(naf_code),
        naf_goods=naf.goods_of(naf_code),
        amount=amount,
        hours=hours,
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
        "published_at",
        "organization__kind",
        "organization__budget_band",
        "organization__workforce_band",
        "organization__naf_id",
    ]
    extra = {
        "need": ["kind", "skill_domain", "goods_type", "amount", "hours"],
        "offer": ["kind", "skill_domains", "goods_types", "budget", "hours_per_year"],
        "call": ["budget"],
    }[item_type]
    return base + extra


def item_row(item_type: str, item) -> dict:
    row = {name: getattr(item, name) for name in _fields(item_type) if "__" not in name}
    org = item.organization
    row.update(
        {
            "organization__kind": org.kind,
            "organization__budget_band": org.budget_band,
            "organization__workforce_band": org.workforce_band,
            "organization__naf_id": org.naf_id,
        }
    )
    return row


def current(queryset, item_type: str, today=None):
    """Items still open on ``today``: no end date (or deadline for a call) in the past."""
    today = today or timezone.localdate()
    if item_type == "call":
        return queryset.filter(Q(deadline__isnull=True) | Q(deadline__gte=today)).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )
    return queryset.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def wants_of(item_type: str, sides: Sequence[Side]) -> list[dict]:
    """The filters of a fit step: for each of the acting side's own items, the kind (and domain) it complements."""
    if item_type == "call":
        return []
    found: dict[tuple, dict] = {}
    for side in sides:
        if side.item_kind is None or side.item_type == item_type:
            continue
        if side.gives == (item_type == "offer"):
            continue  # an offer looks for needs, a need for offers
        condition: dict = {"kind": side.item_kind}
        key: tuple = (side.item_kind,)
        if side.item_kind == "skills" and side.skill_domains:
            domain = sorted(side.skill_domains)[0] if item_type == "offer" else None
            if item_type == "offer":
                condition["search_text__contains"] = f"domaine{domain}"
                key += (domain,)
            else:
                condition["skill_domain__in"] = sorted(side.skill_domains)
                key += tuple(sorted(side.skill_domains))
        found.setdefault(key, condition)
        if len(found) >= MAX_WANTS:
            break
    return list(found.values())


def retrieve_items(
    item_type: str, place: Place, mask: int, exclude_orgs: set[int], wants: Sequence[dict] = (), today=None
) -> list[dict]:
    """Open published items near ``place``: by fit first, then the newest, at each step of the hierarchy.

    The steps are read in one parametrised statement (:func:`union_sql`): its text depends only on the shape of the
    request (item type, steps present, kinds of filter), so it is built once per shape and reused; only the
    parameters change from one organisation to the next.
    """
    today = today or timezone.localdate()
    levels = [
        ("commune", "commune_id", place.commune),
        ("epci", "epci_id", place.epci),
        ("departement", "departement_id", place.departement),
        ("region", "region_id", place.region),
        ("national", "territory_level", "national"),
    ]
    want_shapes = tuple(
        tuple((name, len(value) if isinstance(value, list | tuple) else 0) for name, value in want.items())
        for want in wants
    )
    present = tuple(level for level, _, value in levels if value)
    sql = union_sql(connection.vendor, item_type, bool(mask), present, want_shapes)
    head: list = [Status.PUBLISHED, connection.ops.adapt_datefield_value(today)]
    if item_type == "call":
        head.append(connection.ops.adapt_datefield_value(today))
    params: list = []
    for _, _, value in levels:
        if not value:
            continue
        for want in wants:
            params += head + [value] + [p for name, v in want.items() for p in _want_params(name, v)]
            if mask:
                params.append(mask)
        params += head + [value, mask] + head + [value, mask] if mask else head + [value]  # :func:`_newest`
    names = _fields(item_type)
    converters = _converters(connection.vendor, item_type)
    rows: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for values in cursor.fetchall():
            values = list(values)
            for position, convert in converters:
                values[position] = convert(values[position])
            row = dict(zip(names, values, strict=True))
            if row["organization_id"] not in exclude_orgs:
                rows.setdefault(row["id"], row)
    return list(rows.values())


def _want_params(name: str, value) -> list:
    if isinstance(value, list | tuple):
        return list(value)
    if name.endswith("__contains"):
        return [f"%{connection.ops.prep_for_like_query(value)}%"]
    return [value]


def _field(name: str, model) -> tuple[Field, str]:
    """The model field behind a ``values()`` name of the retrieval (``organization__…`` on the join), and its table."""
    if name.startswith("organization__"):
        model, name = Organization, name.removeprefix("organization__")
    found = model._meta.get_field(name)
    assert isinstance(found, Field)
    return found, model._meta.db_table


def _bare(name: str, model) -> str:
    """The quoted column name alone (no table) of a ``values()`` name of the retrieval."""
    found, _ = _field(name, model)
    assert found.column is not None
    return connection.ops.quote_name(found.column)


def _column(name: str, model) -> str:
    found, table = _field(name, model)
    quote = connection.ops.quote_name
    assert found.column is not None
    return f"{quote(table)}.{quote(found.column)}"


@cache
def union_sql(vendor: str, item_type: str, masked: bool, present: tuple, want_shapes: tuple) -> str:
    """The retrieval statement of one shape of request: ``UNION ALL`` of bounded, ordered steps.

    Each step is a sub-select (``SELECT * FROM (… ORDER BY … LIMIT n) AS s<i>``), which SQLite and PostgreSQL both
    accept in a compound statement. Parameters, in order, per step: status, today (twice for a call: end date and
    deadline), the place, the values of the fit filter, the cause mask (when the acting side has causes).
    ``vendor`` is part of the key only: the text is written for the current connection.
    """
    model = MODELS[item_type]
    quote = connection.ops.quote_name
    table, orgs = quote(model._meta.db_table), quote(Organization._meta.db_table)
    names = _fields(item_type)
    columns = ", ".join(_column(name, model) for name in names if not name.startswith("organization__"))
    ends_on = _column("ends_on", model)
    open_now = f"{_column('status', model)} = %s AND ({ends_on} IS NULL OR {ends_on} >= %s)"
    if item_type == "call":
        open_now += f" AND ({_column('deadline', model)} IS NULL OR {_column('deadline', model)} >= %s)"
    # Table and column names come from the models, values are parameters: nothing from user input in the text.
    # The steps read the item table alone (``shares``: 1 when read as sharing a cause by :func:`_newest`, else 0);
    # the organisations' columns are joined once, around the union: a join in every step cost more to plan (a
    # millisecond a step on PostgreSQL) than the steps took to run.
    select = f"SELECT {columns}, 0 AS shares FROM {table} WHERE {open_now}"  # noqa: S608
    order = f"{_column('published_at', model)} DESC"
    if masked:
        order = f"CASE WHEN (({_column('cause_mask', model)} & %s) > 0) THEN 1 ELSE 0 END DESC, {order}"
    level_columns = {"commune": "commune_id", "epci": "epci_id", "departement": "departement_id"}
    level_columns.update({"region": "region_id", "national": "territory_level"})
    like = connection.operators["contains"]  # type: ignore[attr-defined]  # the backend's LIKE and its escape
    parts = []
    for level in present:
        where = f"{_column(level_columns[level], model)} = %s"
        limits = LIMITS[level]
        for shape in want_shapes:
            conditions = [where]
            for name, count in shape:
                field_name, _, lookup = name.partition("__")
                column = _column(field_name, model)
                if lookup == "in":
                    conditions.append(f"{column} IN ({', '.join(['%s'] * count)})")
                elif lookup == "contains":
                    conditions.append(f"{column} {like}")
                else:
                    conditions.append(f"{column} = %s")
            parts.append(f"{select} AND {' AND '.join(conditions)} ORDER BY {order} LIMIT {limits['fit']}")
        parts.append(_newest(select, where, limits["any"], model) if masked else
                     f"{select} AND {where} ORDER BY {order} LIMIT {limits['any']}")  # fmt: skip
    union = " UNION ALL ".join(f"SELECT * FROM ({part}) AS s{i}" for i, part in enumerate(parts))  # noqa: S608
    outer = ", ".join(f"{orgs if name.startswith('organization__') else 'u'}.{_bare(name, model)}" for name in names)
    join = f"{orgs} ON ({orgs}.{quote('id')} = u.{_bare('organization_id', model)})"
    return f"SELECT {outer} FROM ({union}) AS u INNER JOIN {join}"  # noqa: S608


def _newest(select: str, where: str, limit: int, model) -> str:
    """The ``any`` step of a place when the acting side has causes: the ``limit`` newest items, those sharing a
    cause first — written as the newest ``limit`` sharing one and the newest ``limit`` sharing none, each read
    backwards along the ``(status, place, published_at)`` index and stopped at ``limit``, then the first ``limit``
    of both (the same rows as ordering every item of the place by cause then date, without sorting them all: a
    dense région holds thousands). Parameters: status, today, the place, the mask, twice."""
    shares = f"({_column('cause_mask', model)} & %s) > 0"
    newest = f"{_column('published_at', model)} DESC"
    halves = []
    for flag, test in ((1, shares), (0, f"NOT ({shares})")):
        step = f"{select.replace(' 0 AS shares ', f' {flag} AS shares ', 1)} AND {where} AND {test}"
        halves.append(f"SELECT * FROM ({step} ORDER BY {newest} LIMIT {limit}) AS h{flag}")  # noqa: S608 (model names)
    both = " UNION ALL ".join(halves)
    return f"SELECT * FROM ({both}) AS h ORDER BY h.shares DESC, h.published_at DESC LIMIT {limit}"  # noqa: S608


@cache
def _converters(vendor: str, item_type: str) -> list[tuple[int, Callable]]:
    """What Django would apply to each column read (JSON decoded, decimals on SQLite), by position."""
    found = []
    for position, name in enumerate(_fields(item_type)):
        model_field, table = _field(name, MODELS[item_type])
        column = model_field.get_col(table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((position, _chain(functions, column)))
    return found


def _chain(functions: list, column) -> Callable:
    def convert(value):
        for function in functions:
            value = function(value, column, connection)
        return value

    return convert


DIRECTORY_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "commune_id",
    "epci_id",
    "departement_id",
    "region_id",
    "budget_band",
)
DIRECTORY_FIELDS += ("workforce_band", "territory_key", "description", "naf_id")


@dataclass(frozen=True)
class Slot:
    """A value of a directory step, in the statement built once per shape: ``pk`` (the acting organisation), a
    place (``commune``, ``epci``, ``departement``), or the ``n``-th of a list (``kind``, ``cause``, ``naf``, ``key``)."""

    name: str
    index: int = 0


def _sentinel(slot: Slot):
    return -7 if slot.name == "pk" else f"@@{slot.name}{slot.index}@@"


def directory_steps(value, *, pk, commune, epci, departement, kinds, causes, prefixes, keys) -> list:
    """The bounded querysets of the directory steps, with ``value(slot, actual)`` giving each value put in them."""
    through = Organization.causes.through
    kinds = [value(Slot("kind", i), k) for i, k in enumerate(kinds)]
    anyone = Organization.objects.filter(kind__in=kinds).exclude(pk=value(Slot("pk"), pk)).order_by()
    anyone = anyone.values_list(*DIRECTORY_FIELDS)
    base = anyone
    if causes:
        causes = [value(Slot("cause", i), c) for i, c in enumerate(causes)]
        base = base.filter(Exists(through.objects.filter(organization_id=OuterRef("pk"), cause_id__in=causes)))
    limit = DIRECTORY_LIMIT
    steps = []
    if commune:
        steps.append(anyone.filter(commune_id=value(Slot("commune"), commune))[:limit])
    if prefixes:
        by_activity = Q()
        for i, prefix in enumerate(prefixes):
            by_activity |= Q(naf__code__startswith=value(Slot("naf", i), prefix))
        fitting = anyone.filter(by_activity)
        if epci:
            steps.append(fitting.filter(epci_id=value(Slot("epci"), epci))[: limit // 2])
        if departement:
            steps.append(fitting.filter(departement_id=value(Slot("departement"), departement))[: limit // 2])
    if epci:
        steps.append(base.filter(epci_id=value(Slot("epci"), epci))[:limit])
    if departement:
        steps.append(base.filter(departement_id=value(Slot("departement"), departement))[:limit])
    if keys:
        keys = [value(Slot("key", i), k) for i, k in enumerate(keys)]
        local = Organization.objects.filter(territory_key__in=keys).order_by().values_list(*DIRECTORY_FIELDS)
        steps.append(local[:4])
    return steps


@cache
def directory_sql(vendor: str, shape: tuple) -> tuple[str, tuple]:
    """The statement of one shape of directory request (``UNION ALL`` of its steps), built once by Django from
    stand-in values, and where each of its parameters comes from: ``(slot, like)`` by position, ``like`` when the
    value goes into a ``LIKE`` pattern. ``vendor`` is part of the key only."""
    commune, epci, departement, n_kinds, n_causes, n_prefixes, n_keys = shape

    def stand_in(slot: Slot, actual):
        return _sentinel(slot)

    steps = directory_steps(
        stand_in,
        pk=1,
        commune=commune,
        epci=epci,
        departement=departement,
        kinds=[""] * n_kinds,
        causes=[""] * n_causes,
        prefixes=[""] * n_prefixes,
        keys=[""] * n_keys,
    )
    slots = {_sentinel(slot): slot for slot in _every_slot(n_kinds, n_causes, n_prefixes, n_keys)}
    parts, sources = [], []
    for position, queryset in enumerate(steps):
        sql, params = queryset.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS s{position}" if len(steps) > 1 else sql)  # noqa: S608 (SQL compiled by Django)
        for param in params:
            sources.append(_source(param, slots))
    return " UNION ALL ".join(parts), tuple(sources)


def _every_slot(n_kinds: int, n_causes: int, n_prefixes: int, n_keys: int) -> list[Slot]:
    found = [Slot("pk"), Slot("commune"), Slot("epci"), Slot("departement")]
    for name, count in (("kind", n_kinds), ("cause", n_causes), ("naf", n_prefixes), ("key", n_keys)):
        found += [Slot(name, i) for i in range(count)]
    return found


def _source(param, slots: dict) -> tuple[Slot | None, object]:
    """Which slot a compiled parameter holds, and its pattern around the value (``""`` alone, or a LIKE pattern);
    ``(None, value)`` for a constant of the statement (the ``1`` an ``EXISTS`` selects)."""
    if param in slots:
        return slots[param], ""
    for sentinel, slot in slots.items():
        if isinstance(sentinel, str) and isinstance(param, str) and sentinel in param:
            return slot, param.replace(sentinel, "{}")
    return None, param


def naf_prefixes_for(sides: Sequence[Side]) -> list[str]:
    """NAF prefixes whose activity gives what the acting side's own needs ask (skills domains, goods sub-types)."""
    prefixes: set[str] = set()
    for side in sides:
        if side.gives or side.item_kind not in {"skills", "goods"}:
            continue
        for prefix, domains in naf.NAF_SKILLS.items():
            if side.item_kind == "skills" and side.skill_domains & set(domains):
                prefixes.add(prefix)
        for prefix, goods in naf.NAF_GOODS.items():
            if side.item_kind == "goods" and side.goods_types & set(goods):
                prefixes.add(prefix)
    return sorted(prefixes)[:12]


def directory_candidates(org: Organization, me: Sequence[Side], targets: Sequence[str]) -> list[dict]:
    """Organisations of the directory of the kinds that complement ``org``, near it: by fit before anything else.

    Steps: the same commune whatever its causes; companies whose activity (NAF) gives what the needs ask, in the
    EPCI then the département; organisations sharing a cause in the EPCI then the département.
    """
    causes = me[0].causes.union(*(side.causes for side in me)) if me else frozenset()
    keys: list[str] = []
    if role_of(org.kind) == "seeker":  # the local authorities of its own territory
        keys = [f"commune:{org.commune_id}", f"epci:{org.epci_id}", f"departement:{org.departement_id}"]
        keys.append(f"region:{org.region_id}")
    # As Django does for ``__in``: each value once, in order.
    values: dict[str, list] = {
        "pk": [org.pk],
        "commune": [org.commune_id],
        "epci": [org.epci_id],
        "departement": [org.departement_id],
        "kind": list(dict.fromkeys(targets)),
        "cause": sorted(causes),
        "naf": naf_prefixes_for(me),
        "key": list(dict.fromkeys(keys)),
    }
    shape: tuple = (bool(org.commune_id), bool(org.epci_id), bool(org.departement_id))
    shape += tuple(len(values[name]) for name in ("kind", "cause", "naf", "key"))
    sql, sources = directory_sql(connection.vendor, shape)
    if not sql:
        return []
    params: list = []
    for slot, pattern in sources:
        if slot is None:
            params.append(pattern)  # a constant
            continue
        actual = values[slot.name][slot.index]
        params.append(str(pattern).format(connection.ops.prep_for_like_query(actual)) if pattern else actual)
    found: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT u.*, ({causes_sql('u.' + connection.ops.quote_name('id'))}) FROM ({sql}) AS u", params)  # noqa: S608
        for *row, codes in cursor.fetchall():
            found.setdefault(row[0], dict(zip(DIRECTORY_FIELDS, row, strict=True), causes=codes_of(codes)))
    return list(found.values())


def causes_sql(organization_id: str) -> str:
    """A scalar sub-select: the cause codes of the organisation whose id is the column ``organization_id``, joined
    by commas (read with the row that needs them rather than by one more query; :func:`codes_of` splits them)."""
    quote = connection.ops.quote_name
    through = Organization.causes.through._meta.db_table
    joined = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    return f"SELECT {joined}({quote('cause_id')}, ',') FROM {quote(through)} WHERE {quote('organization_id')} = {organization_id}"  # noqa: S608


def codes_of(joined: str | None) -> frozenset[str]:
    return frozenset(joined.split(",")) if joined else frozenset()


def acting_organization(pk: int) -> tuple[Organization, frozenset[str]]:
    """The acting organisation with its places' names, and its causes: one query."""
    table = connection.ops.quote_name(Organization._meta.db_table)
    org = (
        Organization.objects.select_related("commune", "epci", "departement", "region")
        .annotate(cause_codes=RawSQL(causes_sql(f"{table}.{connection.ops.quote_name('id')}"), ()))  # noqa: S611 (no input)
        .get(pk=pk)
    )
    return org, codes_of(org.cause_codes)


def directory_side(row: dict, causes: Iterable[str]) -> Side:
    """:func:`org_side` of a directory row (no place names: they are not read for candidates)."""
    return Side(
        organization_id=row["id"],
        org_kind=row["kind"],
        place=Place(row["commune_id"], row["epci_id"], row["departement_id"], row["region_id"]),
        causes=frozenset(causes),
        budget_band=row["budget_band"],
        workforce_band=row["workforce_band"],
        text=row["description"] if row["territory_key"] is None else "",
        naf_domains=naf.skills_of(row["naf_id"]),
        naf_goods=naf.goods_of(row["naf_id"]),
    )


def network_of(org: Organization, workspaces: Sequence) -> tuple[Network, dict[int, set[str]]]:
    """The acting workspace's own network, read from the alliances it is an active party of, and only those.

    Returns the network and, per organisation met there, the kinds of the organisations it sits with.
    """
    network = Network()
    if not workspaces:
        return network, {}
    visible = Party.objects.filter(workspace__in=workspaces, left_at__isnull=True).values("alliance_id")
    # One read: the current parties of those alliances, with their alliance's name, stage and forms. An abandoned
    # alliance is no partnership: it neither names a partner nor counts as experience.
    parties = list(
        Party.objects.filter(alliance_id__in=visible, left_at__isnull=True)
        .exclude(alliance__stage=Stage.ABANDONED)
        .values_list(
            "alliance_id",
            "alliance__name",
            "alliance__stage",
            "alliance__forms",
            "organization_id",
            "organization__name",
            "organization__kind",
        )
    )
    names: dict[int, str] = {}
    by_alliance: dict[int, list[tuple[int, str, str]]] = {}
    for alliance_id, alliance_name, stage, forms, org_id, name, kind in parties:
        if alliance_id not in names:
            names[alliance_id] = alliance_name
            if stage in WORKED_STAGES:
                for form in forms:
                    network.worked_forms[form] = network.worked_forms.get(form, 0) + 1
        by_alliance.setdefault(alliance_id, []).append((org_id, name, kind))
    neighbours: dict[int, set[str]] = {}
    for alliance_id, members in by_alliance.items():
        for org_id, _, _ in members:
            if org_id == org.pk:
                continue
            network.partners.setdefault(org_id, names[alliance_id])
            others = [(o, n, k) for o, n, k in members if o not in (org.pk, org_id)]
            if others:
                network.second_degree.setdefault(org_id, others[0][1])
            neighbours.setdefault(org_id, set()).update(k for o, _, k in others)
    return network, neighbours


def acting_sides(org: Organization, workspaces: Sequence, org_causes: frozenset[str]) -> list[Side]:
    """The acting organisation, and each of its own open items (drafts included: they are its own)."""
    sides = [org_side(org, org_causes)]
    for item_type, model in MODELS.items():
        if item_type not in PUBLISHES.get(Kind(org.kind), ("need",)):
            continue
        items = current(
            model.objects.filter(workspace__in=workspaces).exclude(status=Status.CLOSED), item_type
        ).select_related("organization")
        sides += [item_side(item_type, item_row(item_type, item)) for item in items]
    names = sides[0].place.names
    for side in sides[1:]:  # the organisation's place names, where the item lies in the same place
        own = {level: names[level] for level in names if getattr(side.place, level) == getattr(sides[0].place, level)}
        side.place = replace(side.place, names=own)
    return sides


def suggestions_for(org: Organization, *, workspaces: Sequence = (), limit: int = 20) -> Suggestions:
    """Top ``limit`` items, new partners, current partners (apart) and network items for ``org``."""
    org, org_causes = acting_organization(org.pk)
    me = acting_sides(org, workspaces, org_causes)
    my_causes = org_causes.union(*(side.causes for side in me))
    network, neighbours = network_of(org, workspaces)
    mask = cause_mask(my_causes)
    role = role_of(org.kind)
    item_types = ["offer", "call"] if role == "seeker" else ["need"]
    exclude = {org.pk}
    today = timezone.localdate()
    found: list[tuple[str, dict, Side]] = []
    for item_type in item_types:
        for row in retrieve_items(item_type, me[0].place, mask, exclude, wants_of(item_type, me), today):
            found.append((item_type, row, item_side(item_type, row)))

    targets = {"seeker": [Kind.COMPANY, Kind.FOUNDATION, Kind.ASSOCIATION, Kind.SIAE]}.get(
        role, [Kind.ASSOCIATION, Kind.SIAE]
    )
    candidates = directory_candidates(org, me, targets)
    directory_sides = [(c["id"], directory_side(c, c["causes"])) for c in candidates]
    # Rarity of each word among everything this run scores: boilerplate shared by many candidates weighs nothing.
    rarity = Rarity([words(side.text) for _, _, side in found] + [words(side.text) for _, side in directory_sides])

    scored: list[Suggestion] = []
    for item_type, row, side in found:
        match = best_match(me, side, network, CAUSE_LABELS, rarity)
        scored.append(Suggestion("item", row["organization_id"], match, item_type, row["id"]))
    scored.sort(key=lambda s: (-s.score, s.item_type or "", -(s.item_id or 0)))
    result = Suggestions(organization=org, items=scored[:limit])

    best_by_org: dict[int, Suggestion] = {}
    for suggestion in scored:  # an organisation that published a matching item is a partner too
        current_best = best_by_org.get(suggestion.organization_id)
        if current_best is None or suggestion.score > current_best.score:
            best_by_org[suggestion.organization_id] = suggestion
    for candidate_id, side in directory_sides:
        match = best_match(me, side, network, CAUSE_LABELS, rarity)
        current_best = best_by_org.get(candidate_id)
        if current_best is None or match.score > current_best.score:
            best_by_org[candidate_id] = Suggestion("partner", candidate_id, match)
    ranked = sorted(best_by_org.values(), key=lambda s: (-s.score, s.organization_id))
    result.partners = [s for s in ranked if s.organization_id not in network.partners][:limit]
    result.known = [s for s in ranked if s.organization_id in network.partners][:limit]
    result.network = network_suggestions(org, me, network, workspaces, limit, today)
    rows = {(item_type, row["id"]): row for item_type, row, _ in found}
    hydrate(result, [(org_id, sorted(kinds)) for org_id, kinds in neighbours.items()], rows)
    return result


def network_suggestions(org, me: list[Side], network: Network, workspaces, limit: int, today=None) -> list[Suggestion]:
    """Open published items of the organisations met in the workspace's own alliances (its partners)."""
    partner_ids = [pk for pk in network.partners if pk != org.pk]
    if not partner_ids:
        return []
    found: list[Suggestion] = []
    for item_type, model in MODELS.items():
        rows = (
            current(model.objects.filter(status=Status.PUBLISHED, organization_id__in=partner_ids), item_type, today)
            .exclude(workspace__in=workspaces)
            .order_by("-published_at")
            .values(*_fields(item_type))[:limit]
        )
        for row in rows:
            match = best_match(me, item_side(item_type, row), network, CAUSE_LABELS)
            found.append(
                Suggestion("network", row["organization_id"], match, item_type, row["id"], item=shown(item_type, row))
            )
    found.sort(key=lambda s: -s.score)
    return found[:limit]


# What the suggestions show of an organisation (name, kind, commune or département, région for the bridges) and of an
# item (title, publication date for the alerts): read by the templates of web/matching/, api/matching.py, the
# ``suggestions`` command and the alert digest.
SHOWN_ORG_FIELDS = ("id", "name", "kind", "region", "commune", "commune__name", "departement", "departement__name")
SHOWN_ITEM_FIELDS = ("id", "organization", "title", "published_at")


def shown(item_type: str, row: dict):
    """The item to show, built from its retrieved row (no query): what ``.only(*SHOWN_ITEM_FIELDS)`` would read."""
    return MODELS[item_type].from_db(
        connection.alias, SHOWN_ATTNAMES, [row["id"], row["organization_id"], row["title"], row["published_at"]]
    )


SHOWN_ATTNAMES = ["id", "organization_id", "title", "published_at"]  # SHOWN_ITEM_FIELDS, as attribute names


def hydrate(
    result: Suggestions, bridge_ids: Sequence[tuple[int, list[str]]] = (), rows: Mapping[tuple, dict] | None = None
) -> None:
    """Attach the organisations and items to show, whatever the number of suggestions: items from their retrieved
    row (``rows`` by item type and id: no query), others (none from :func:`suggestions_for`) one query per model;
    ``bridge_ids`` (organisation id, kinds met) become ``result.bridges`` when they do bridge."""
    every = result.items + result.partners + result.known + result.network
    for s in every:
        row = (rows or {}).get((s.item_type, s.item_id)) if s.item is None else None
        if row is not None and s.item_type:
            s.item = shown(s.item_type, row)
    org_ids = {s.organization_id for s in every}
    bridge_kinds = dict(bridge_ids)
    org_ids |= set(bridge_kinds)
    # Only what is shown (pages, API, command, alert digest): a field read later would cost a query per object.
    orgs = Organization.objects.select_related("commune", "departement").only(*SHOWN_ORG_FIELDS).in_bulk(org_ids)
    for item_type, model in MODELS.items():
        ids = {s.item_id for s in every if s.item_type == item_type and s.item is None}
        items = model.objects.only(*SHOWN_ITEM_FIELDS).in_bulk(ids) if ids else {}
        for s in every:
            if s.item_type == item_type and s.item is None:
                s.item = items.get(s.item_id)
    for s in every:
        s.organization = orgs.get(s.organization_id)
    bridges = []
    for org_id, kinds in bridge_ids:
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
    org, org_causes = acting_organization(org.pk)
    me = acting_sides(org, workspaces, org_causes)
    network, _ = network_of(org, workspaces)
    if item is not None and item_type:
        other = item_side(item_type, item_row(item_type, item))
    else:
        other = org_side(target, target.causes.values_list("code", flat=True))
    return best_match(me, other, network, CAUSE_LABELS)


__all__ = ["score", "suggestions_for", "explain", "Suggestion", "Suggestions", "cause_mask"]
