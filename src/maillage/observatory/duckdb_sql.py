# ruff: noqa: S608  (SQL assembled from constants of this module, never from user input)
"""The observatory's set-based SQL, run by DuckDB on a copy of the source rows (:mod:`.engine`, decision 0007).

Steps (temporary tables; every aggregate is a plain ``GROUP BY`` with ``SUM``/``COUNT``/``MAX``, no
``COUNT(DISTINCT)`` over a big join):
1. ``obs_dir``: every association of the directory, with its territory, main cause and budget band; ``obs_assoc``:
   those counted (their verified workspace agreed to contribute, decision 0008), and the year from which they are;
2. ``obs_ties``: each association's partners in its alliances, with 0/1 flags for the kind of partner and the
   forms of company alliances; ``obs_pairs``: the pairs (association, partner) tied by more than one alliance;
3. ``obs_ty``: each partner once per (association, year) in which a tie is in progress (only pairs tied by several
   alliances need a ``GROUP BY``); ``obs_aa``: each (association, alliance) once, from which ``obs_flow`` counts the
   alliances started and ended and the company alliances started in each year, and survival reads its alliances;
4. ``obs_cube``: one pass over the facts (association × year, joined once to the kinds, new alliances and time)
   summed per (commune, EPCI, département, région, year, cause, band); ``obs_gifts``: gifts per giver in the same
   keys; ``obs_net``: each company or public partner once per commune and year;
5. rollups: per cause and per band, commune → département → région → France, and commune → EPCI, each level
   summed from the one below (a few thousand rows above the commune); "all causes" is the sum of the causes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime

LOCAL_AUTHORITY = "('commune', 'epci', 'departement', 'region')"
PUBLIC = "('commune', 'epci', 'departement', 'region', 'state_service')"
KINDS = ("la", "af", "school", "company", "insertion", "research", "public")
FORMS = ("mec", "rse", "coop", "innov")
GEO = ("commune", "epci", "dep", "region")

# Level → the facts column holding the territory code (None: the whole of France).
LEVELS: list[tuple[str, str | None]] = [
    ("france", None),
    ("region", "region"),
    ("departement", "dep"),
    ("epci", "epci"),
    ("commune", "commune"),
]
# Each association is counted under ONE cause, its main one (the first of its causes in the taxonomy's order,
# ``obs_assoc``), although the directory lets it hold several: the causes partition every cell, so "all causes" is
# their sum, and the disclosure auditor writes that relation (refresh.build_relations). Counting an association
# under each of its causes would break both: set this to False with such a change.
ONE_CAUSE_PER_ASSOCIATION = True
# The commune level is published for all causes and bands only: by cause it would be almost all secret.
BREAKDOWN_LEVELS = {"france", "region", "departement", "epci"}
# How each breakdown level is summed: (level, its key columns, the level it is summed from).
ROLLUP = [
    ("departement", ("dep", "region"), "commune"),
    ("region", ("region",), "departement"),
    ("france", (), "region"),
    ("epci", ("epci",), "commune"),
]

# Cell figure → its expression on one fact row (association × year) in ``obs_cube``.
COUNT_COLUMNS = [
    ("associations", "1"),
    ("kinds_sum", "k.local_authority + k.association_foundation + k.school + k.company + k.insertion + k.research"),
    ("local_authority", "k.local_authority"),
    ("association_foundation", "k.association_foundation"),
    ("school", "k.school"),
    ("company", "k.company"),
    ("insertion", "k.insertion"),
    ("research", "k.research"),
    ("public", "k.public"),
    ("company_and_public", "k.company * k.public"),
    ("form_mecenat", "k.form_mecenat"),
    ("form_responsible", "k.form_responsible"),
    ("form_cooperation", "k.form_cooperation"),
    ("form_innovation", "k.form_innovation"),
    ("new_alliances", "fl.new_alliances"),
    ("new_mecenat_only", "fl.new_mecenat_only"),
    ("new_coconstruction", "fl.new_coconstruction"),
    ("minutes", "tm.minutes"),
    ("ties_company", "k.ties_company"),
    ("ties_public", "k.ties_public"),
    ("started_alliances", "fl.started_alliances"),
    ("ended_alliances", "fl.ended_alliances"),
]
COUNT_NAMES = [name for name, _ in COUNT_COLUMNS]
FLOW_COLUMNS = ("started_alliances", "ended_alliances", "new_alliances", "new_mecenat_only", "new_coconstruction")
# Cell keys (decision 0013): every counted association carries a record key in [0, KEY_SPACE) drawn from a keyed
# hash of its id; each count's cell key is the sum, modulo KEY_SPACE, of the keys of the records it counts (weighted
# by the record's value for the non-binary counts). Sums of keys add up like the counts, through every rollup, so
# the same records always give the same key whatever cell (commune, EPCI, cause…) or refresh they fall in.
KEY_SPACE = 4096
KEY_NAMES = [f"key_{name}" for name in COUNT_NAMES]


# The association's own party was drafted by no workspace or by a verified one: an unverified workspace of an
# organisation that has a verified one does not speak for it (decision 0008's known limit, closed by 0013).
OWN_PARTY = (
    "({p}.workspace_id IS NULL OR {p}.workspace_id IN "
    "(SELECT id FROM workspaces_workspace WHERE verified_at IS NOT NULL))"
)


def year(expr: str) -> str:
    return f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)"


def record_key(salt: str, column: str) -> str:
    """A record key in [0, KEY_SPACE): a hash of the record's id salted with the observatory's secret (hex)."""
    if not salt.isalnum():
        raise ValueError("salt must be alphanumeric")
    return f"CAST(hash('{salt}' || CAST({column} AS VARCHAR)) % {KEY_SPACE} AS INTEGER)"


def staging_statements(salt: str = "0", verified_before: datetime | None = None) -> list[str]:
    """CREATE TEMP TABLE statements, in order. ``obs_years`` is filled by :func:`run_aggregates`.

    ``verified_before`` (UTC wall time, as stored): only workspaces verified by then count (the minimum age)."""
    y = year
    aged = f" AND verified_at <= TIMESTAMP '{verified_before:%Y-%m-%d %H:%M:%S.%f}'" if verified_before else ""
    company = "po.kind = 'company'"
    return [
        # 1. Every association of the directory (its main cause is the first in the taxonomy's order), and those
        # counted among them.
        directory_statement(salt),
        f"""CREATE TEMP TABLE obs_assoc AS
        SELECT d.org_id AS assoc_id, d.commune, d.epci, d.dep, d.region, d.band, d.cause, w.since, d.rkey
        FROM obs_dir d
        JOIN (SELECT organization_id, MIN({y("created_at")}) AS since FROM workspaces_workspace
              WHERE contributes_to_observatory AND verified_at IS NOT NULL{aged} GROUP BY organization_id) w
          ON w.organization_id = d.org_id""",
        # 2. Partners of each counted association, with the alliance's years, the partner's kind and the forms of
        # a company alliance, as 0/1 flags.
        f"""CREATE TEMP TABLE obs_ties AS
        SELECT p.organization_id AS assoc_id, a.id AS alliance_id,
               {y("a.starts")} AS sy,
               COALESCE({y("a.ends_on")}, 9999) AS ey,
               q.organization_id AS partner_id,
               CASE WHEN po.kind IN {LOCAL_AUTHORITY} THEN 1 ELSE 0 END AS k_la,
               CASE WHEN po.kind IN ('association', 'foundation') THEN 1 ELSE 0 END AS k_af,
               CASE WHEN po.kind = 'school' THEN 1 ELSE 0 END AS k_school,
               CASE WHEN {company} THEN 1 ELSE 0 END AS k_company,
               CASE WHEN po.kind = 'siae' THEN 1 ELSE 0 END AS k_insertion,
               CASE WHEN po.kind = 'research_lab' THEN 1 ELSE 0 END AS k_research,
               CASE WHEN po.kind IN {PUBLIC} THEN 1 ELSE 0 END AS k_public,
               CASE WHEN {company} THEN a.form_mecenat ELSE 0 END AS cf_mec,
               CASE WHEN {company} THEN a.form_responsible ELSE 0 END AS cf_rse,
               CASE WHEN {company} THEN a.form_cooperation ELSE 0 END AS cf_coop,
               CASE WHEN {company} THEN a.form_innovation ELSE 0 END AS cf_innov
        FROM alliances_party p
        JOIN obs_assoc x ON x.assoc_id = p.organization_id
        JOIN alliances_alliance a ON a.id = p.alliance_id AND a.stage NOT IN ('identified', 'abandoned')
        JOIN alliances_party q ON q.alliance_id = a.id AND q.id <> p.id AND q.left_at IS NULL
        JOIN organizations_organization po ON po.id = q.organization_id
        WHERE p.left_at IS NULL AND {OWN_PARTY.format(p="p")}""",
        # The pairs tied by several alliances: the others need no GROUP BY to count each partner once a year (a
        # small GROUP BY of two columns here rather than a window over the ties' every column).
        """CREATE TEMP TABLE obs_pairs AS
        SELECT assoc_id, partner_id FROM obs_ties GROUP BY assoc_id, partner_id HAVING COUNT(*) > 1""",
        "CREATE TEMP TABLE obs_years (y INTEGER)",
    ]


def _int(expr: str) -> str:
    return f"CAST({expr} AS INTEGER)"


def facts_statements(salt: str = "0") -> list[str]:
    """Ties spread over their years, the cube of facts, gifts and network partners (see the module's steps)."""
    kinds = ", ".join(f"t.k_{k}" for k in KINDS)
    spread = "JOIN obs_assoc x ON x.assoc_id = t.assoc_id JOIN obs_years yy ON yy.y >= t.sy AND yy.y <= t.ey AND yy.y >= x.since"
    cube_keys = "x.commune, x.epci, x.dep, x.region, yy.y, x.cause, x.band"
    sums = ", ".join(f"{_int(f'SUM(COALESCE({expr}, 0))')} AS {name}" for name, expr in COUNT_COLUMNS)
    sums += "".join(
        f", {_int(f'SUM(COALESCE({expr}, 0) * x.rkey) % {KEY_SPACE}')} AS key_{name}" for name, expr in COUNT_COLUMNS
    )
    new = "a.company = 1 AND a.ey >= a.sy"
    return [
        # 3. Each partner once per year in which one of its ties with the association is in progress (and the
        # association is counted): a pair tied by one alliance needs no GROUP BY.
        f"""CREATE TEMP TABLE obs_ty AS
        SELECT t.assoc_id, yy.y AS year, t.partner_id, {kinds}, {", ".join(f"t.cf_{f}" for f in FORMS)}
        FROM obs_ties t ANTI JOIN obs_pairs m ON m.assoc_id = t.assoc_id AND m.partner_id = t.partner_id {spread}
        UNION ALL
        SELECT t.assoc_id, yy.y AS year, t.partner_id, {kinds}, {", ".join(f"MAX(t.cf_{f})" for f in FORMS)}
        FROM obs_ties t SEMI JOIN obs_pairs m ON m.assoc_id = t.assoc_id AND m.partner_id = t.partner_id {spread}
        GROUP BY t.assoc_id, yy.y, t.partner_id, {kinds}""",
        # Each (association, alliance) once: its years, whether a company is among its partners and, if so, the
        # alliance's forms (one pass over the ties for the flows, the new company alliances and survival).
        f"""CREATE TEMP TABLE obs_aa AS
        SELECT t.assoc_id, t.alliance_id, MIN(t.sy) AS sy, MIN(t.ey) AS ey, MAX(t.k_company) AS company,
               {", ".join(f"MAX(t.cf_{f}) AS cf_{f}" for f in FORMS)}
        FROM obs_ties t GROUP BY t.assoc_id, t.alliance_id""",
        # Flows (issue 23): the association's alliances (any partner) started and ended in the year, each once; and
        # its company alliances started in the year, each once (it may have several company partners).
        f"""CREATE TEMP TABLE obs_flow AS
        SELECT f.assoc_id, f.year, {", ".join(f"SUM(f.{c}) AS {c}" for c in FLOW_COLUMNS)} FROM (
          SELECT a.assoc_id, a.sy AS year, 1 AS started_alliances, 0 AS ended_alliances,
            CASE WHEN {new} THEN 1 ELSE 0 END AS new_alliances,
            CASE WHEN {new} AND a.cf_mec = 1 AND a.cf_rse + a.cf_coop + a.cf_innov = 0 THEN 1 ELSE 0 END
              AS new_mecenat_only,
            CASE WHEN {new} AND a.cf_coop + a.cf_innov > 0 THEN 1 ELSE 0 END AS new_coconstruction
          FROM obs_aa a
          UNION ALL
          SELECT e.assoc_id, e.ey AS year, 0, 1, 0, 0, 0 FROM obs_aa e WHERE e.ey < 9999
        ) f GROUP BY f.assoc_id, f.year""",
        f"""CREATE TEMP TABLE obs_time AS
        SELECT p.organization_id AS assoc_id, i.year, SUM(att.minutes) AS minutes
        FROM alliances_attendance att
        JOIN alliances_party p ON p.id = att.party_id
        JOIN obs_assoc x ON x.assoc_id = p.organization_id
        JOIN alliances_interaction i ON i.id = att.interaction_id
        WHERE {OWN_PARTY.format(p="p")}
        GROUP BY p.organization_id, i.year""",
        # 4. One fact per association and year, summed at once into the finest cells.
        f"""CREATE TEMP TABLE obs_cube AS
        SELECT {cube_keys.replace("yy.y", "yy.y AS year")}, {sums}
        FROM obs_assoc x
        JOIN obs_years yy ON yy.y >= x.since
        LEFT JOIN (
          SELECT t.assoc_id, t.year, MAX(t.k_la) AS local_authority, MAX(t.k_af) AS association_foundation,
            MAX(t.k_school) AS school, MAX(t.k_company) AS company, MAX(t.k_insertion) AS insertion,
            MAX(t.k_research) AS research, MAX(t.k_public) AS public,
            MAX(t.cf_mec) AS form_mecenat, MAX(t.cf_rse) AS form_responsible, MAX(t.cf_coop) AS form_cooperation,
            MAX(t.cf_innov) AS form_innovation, SUM(t.k_company) AS ties_company, SUM(t.k_public) AS ties_public
          FROM obs_ty t GROUP BY t.assoc_id, t.year
        ) k ON k.assoc_id = x.assoc_id AND k.year = yy.y
        LEFT JOIN obs_time tm ON tm.assoc_id = x.assoc_id AND tm.year = yy.y
        LEFT JOIN obs_flow fl ON fl.assoc_id = x.assoc_id AND fl.year = yy.y
        GROUP BY {cube_keys}""",
        # Gifts per giver, in their receiving association's cell keys (a counted year of a counted association).
        f"""CREATE TEMP TABLE obs_gifts AS
        SELECT {cube_keys.replace("yy.y", "g.year")}, g.kind, g.giver_id, SUM(g.amount) AS amount,
               CAST(SUM(g.gkey) % {KEY_SPACE} AS INTEGER) AS gkey
        FROM (
          SELECT r.organization_id AS assoc_id, c.year,
                 g.organization_id AS giver_id, c.kind AS kind, c.value AS amount, {record_key(salt, "c.id")} AS gkey
          FROM contributions_contribution c
          JOIN alliances_party r ON r.id = c.receiver_id
          JOIN alliances_party g ON g.id = c.giver_id
          WHERE c.kind IN ('money', 'in_kind', 'skills') AND c.status = 'received' AND {OWN_PARTY.format(p="r")}
        ) g
        JOIN obs_assoc x ON x.assoc_id = g.assoc_id AND g.year >= x.since
        JOIN obs_years yy ON yy.y = g.year
        GROUP BY {cube_keys.replace("yy.y", "g.year")}, g.kind, g.giver_id""",
        # Network: each partner once per commune and year; other kinds of partners collapse into one row (NULL)
        # so that a territory with ties of other kinds only still gets its zeros.
        """CREATE TEMP TABLE obs_net AS
        SELECT DISTINCT x.commune, x.epci, x.dep, x.region, t.year,
          CASE WHEN t.k_company = 1 OR t.k_public = 1 THEN t.partner_id END AS partner_id,
          t.k_company AS company, t.k_public AS public
        FROM obs_ty t JOIN obs_assoc x ON x.assoc_id = t.assoc_id""",
    ]


def rollup_statements(
    prefix: str, base: str, extra: Sequence[str], measures: Sequence[str], *, counts: bool = False
) -> list[str]:
    """Tables ``{prefix}_{level}_{cause|band}``: ``base`` (keyed by GEO, year, cause, band and ``extra``) summed
    per cause and per band at the commune level, then each level from the one below (``ROLLUP``). Counts stay
    integers (a ``SUM`` of integers is a wider type otherwise)."""

    def sums(cast: str) -> str:
        return ", ".join((f"CAST(SUM({m}) AS {cast}) AS {m}" if counts else f"SUM({m}) AS {m}") for m in measures)

    tail = "".join(f", {e}" for e in extra)
    statements = []
    for by in ("cause", "band"):
        keys = f"{', '.join(GEO)}, year, {by}{tail}"
        statements.append(
            f"CREATE TEMP TABLE {prefix}_commune_{by} AS SELECT {keys}, {sums('INTEGER')} FROM {base} GROUP BY {keys}"
        )
        for level, columns, source in ROLLUP:
            keys = ", ".join([*columns, "year", by, *extra])
            statements.append(
                f"CREATE TEMP TABLE {prefix}_{level}_{by} AS SELECT {keys}, {sums('BIGINT')} "
                f"FROM {prefix}_{source}_{by} GROUP BY {keys}"
            )
    return statements


def rollup_tables(prefix: str) -> list[str]:
    return [f"{prefix}_{level}_{by}" for by in ("cause", "band") for level in ("commune", *(r[0] for r in ROLLUP))]


def _level_rows(prefix: str, level: str, column: str | None, select: str, extra: Sequence[str]) -> str:
    """(code, year, cause, band, *extra, <select>) for every breakdown of a level, from its rollup tables."""
    code = column or "'FR'"
    where = f"WHERE {column} IS NOT NULL" if column else ""
    tail = "".join(f", {e}" for e in extra)
    # "All causes" is the sum over the causes (every association has one, or 'none').
    everything = (
        f"SELECT {code} AS code, year, '' AS cause, '' AS band{tail}, {select} "
        f"FROM {prefix}_{level}_cause {where} GROUP BY {column + ', ' if column else ''}year{tail}"
    )
    if level not in BREAKDOWN_LEVELS:
        return everything
    by_cause = (
        f"SELECT {code} AS code, year, cause, '' AS band{tail}, {select} FROM {prefix}_{level}_cause {where} "
        f"GROUP BY {column + ', ' if column else ''}year, cause{tail}"
    )
    by_band = (
        f"SELECT {code} AS code, year, '' AS cause, band{tail}, {select} FROM {prefix}_{level}_band {where} "
        f"GROUP BY {column + ', ' if column else ''}year, band{tail}"
    )
    return f"{everything} UNION ALL {by_cause} UNION ALL {by_band}"


def count_query(level: str, column: str | None) -> str:
    select = ", ".join(f"CAST(SUM({name}) AS BIGINT) AS {name}" for name in [*COUNT_NAMES, *KEY_NAMES])
    return _level_rows("obs_c", level, column, select, ())


def amount_query(level: str, column: str | None) -> str:
    """Per cell and kind of gift: number of distinct givers, total, the largest giver's total, and the sum of the
    gifts' record keys (the cell key, modulo KEY_SPACE)."""
    inner = _level_rows("obs_a", level, column, "SUM(amount) AS s, SUM(gkey) AS gk", ("kind", "giver_id"))
    return (
        "SELECT code, year, cause, band, kind, COUNT(*) AS givers, SUM(s) AS total, MAX(s) AS top, "
        f"CAST(SUM(gk) % {KEY_SPACE} AS BIGINT) AS gkey "
        f"FROM ({inner}) gv GROUP BY code, year, cause, band, kind"
    )


def network_query(level: str, column: str | None) -> str:
    """Distinct companies and public bodies tied to the territory's associations (all causes and bands)."""
    code = column or "'FR'"
    where = f"WHERE {column} IS NOT NULL" if column else ""
    return (
        "SELECT code, year, SUM(company) AS companies_tied, SUM(public) AS public_tied FROM ("
        f"SELECT DISTINCT {code} AS code, year, partner_id, company, public FROM obs_net {where}"
        ") n GROUP BY code, year"
    )


def impact_query() -> str:
    """Notes of the closed evaluations of counted associations' alliances, per (association, year of the period's
    end, evaluation, answering party, impact): sum and number of 1–5 notes of sent answers (scored in Python, as
    :mod:`maillage.evaluation.scoring` does)."""
    return f"""SELECT x.assoc_id, x.commune, x.epci, x.dep, x.region, yy.y AS year, e.id AS evaluation_id,
          r.party_id, q.impact, SUM(an.scale_value) AS total, COUNT(*) AS answered
        FROM evaluation_evaluation e
        JOIN alliances_party p ON p.alliance_id = e.alliance_id AND p.left_at IS NULL
        JOIN obs_assoc x ON x.assoc_id = p.organization_id
        JOIN obs_years yy ON yy.y = {year("e.period_end")} AND yy.y >= x.since
        JOIN evaluation_response r ON r.evaluation_id = e.id AND r.submitted_at IS NOT NULL
        JOIN evaluation_answer an ON an.response_id = r.id AND an.scale_value IS NOT NULL
        JOIN evaluation_question q ON q.id = an.question_id AND q.questionnaire_id = e.questionnaire_id
          AND q.scale_type = 'agreement' AND q.impact IN ('performance', 'innovation', 'trust')
        WHERE e.status = 'closed'
        GROUP BY x.assoc_id, x.commune, x.epci, x.dep, x.region, yy.y, e.id, r.party_id, q.impact"""


# -- Coverage, weighting and survival (issue 23: "a story over time", "coverage and uncertainty") -------------
# The shares weighted to the directory's population (docs/observatory.md, "Coverage and uncertainty").
KEY_SHARES = ("company", "local_authority", "association_foundation", "school", "public", "company_and_public")
STRATA_LEVELS = ("france", "region", "departement")


def directory_statement(salt: str = "0") -> str:
    """``obs_dir``: every association of the directory (on the platform or not), in its territory, main cause and
    band, with its record key (the same key as in ``obs_assoc``)."""
    return f"""CREATE TEMP TABLE obs_dir AS
        SELECT o.id AS org_id,
               COALESCE(cm.parent_id, o.commune_id) AS commune,
               CASE WHEN cm.code IS NULL THEN o.epci_id ELSE cm.epci_id END AS epci,
               COALESCE(cm.departement_id, o.departement_id) AS dep,
               COALESCE(cm.region_id, o.region_id) AS region,
               COALESCE(NULLIF(o.budget_band, ''), 'unknown') AS band,
               COALESCE(fc.cause_id, 'none') AS cause, {record_key(salt, "o.id")} AS rkey
        FROM organizations_organization o
        LEFT JOIN territories_commune cm ON cm.code = o.commune_id
        LEFT JOIN (
          SELECT r.organization_id, r.cause_id FROM (
            SELECT oc.organization_id, oc.cause_id,
                   ROW_NUMBER() OVER (PARTITION BY oc.organization_id ORDER BY c.position, c.code) AS rank
            FROM organizations_organization_causes oc JOIN organizations_cause c ON c.code = oc.cause_id
          ) r WHERE r.rank = 1
        ) fc ON fc.organization_id = o.id
        WHERE o.kind = 'association'"""


def directory_query(level: str, column: str | None) -> str:
    """(code, cause, band, associations of the directory, their cell key): by cause × band for the levels whose
    figures are weighted, in total ('', '') for the others."""
    code = column or "'FR'"
    where = f"WHERE {column} IS NOT NULL" if column else ""
    strata = level in STRATA_LEVELS
    keys = "cause, band" if strata else "'' AS cause, '' AS band"
    group = ", ".join([*([column] if column else []), *(["cause", "band"] if strata else [])])
    return (
        f"SELECT {code} AS code, {keys}, COUNT(*) AS n, CAST(SUM(rkey) % {KEY_SPACE} AS BIGINT) AS k "
        f"FROM obs_dir {where}" + (f" GROUP BY {group}" if group else "")
    )


def strata_query(level: str, column: str | None) -> str:
    """(code, year, cause, band, associations, key shares…, their cell keys) of the platform per cause × band."""
    code = column or "'FR'"
    where = f"WHERE {column} IS NOT NULL" if column else ""
    names = ["associations", *KEY_SHARES]
    select = ", ".join(f"CAST(SUM({n}) AS BIGINT)" for n in names)
    select += "".join(f", CAST(SUM(key_{n}) % {KEY_SPACE} AS BIGINT)" for n in names)
    group = ", ".join([*([column] if column else []), "year", "cause", "band"])
    return f"SELECT {code} AS code, year, cause, band, {select} FROM obs_cube {where} GROUP BY {group}"


def survival_query(today: str) -> str:
    """Each alliance of a counted association (once per association), grouped by the association's département and
    région, the start year (cohort), the months it lasted (to its end, else to ``today``: censored) and whether it
    ended: (region, dep, cohort, months, ended, alliances)."""
    if not all(ch.isdigit() or ch == "-" for ch in today):
        raise ValueError("today must be an ISO date")
    return f"""SELECT x.region, x.dep, {year("s.starts")} AS cohort,
          CAST(FLOOR(date_diff('day', s.starts, LEAST(COALESCE(s.ends, DATE '{today}'), DATE '{today}')) / 30.4375)
               AS INTEGER) AS months,
          CASE WHEN s.ends IS NOT NULL AND s.ends <= DATE '{today}' THEN 1 ELSE 0 END AS ended,
          COUNT(*) AS alliances
        FROM (SELECT t.assoc_id, a.id,
                a.starts, a.ends_on AS ends
              FROM obs_aa t JOIN alliances_alliance a ON a.id = t.alliance_id) s
        JOIN obs_assoc x ON x.assoc_id = s.assoc_id
        WHERE s.starts <= DATE '{today}'
        GROUP BY ALL"""


BASE_TABLES = (
    "obs_dir",
    "obs_assoc",
    "obs_ties",
    "obs_pairs",
    "obs_years",
    "obs_ty",
    "obs_aa",
    "obs_flow",
    "obs_time",
    "obs_cube",
    "obs_gifts",
    "obs_net",
)
TEMP_TABLES = (*BASE_TABLES, *rollup_tables("obs_c"), *rollup_tables("obs_a"))


def _create(execute: Callable[[str], None], statement: str) -> str:
    execute(statement)
    return statement.split()[3]


def run_aggregates(
    execute: Callable[[str], None],
    fetch: Callable[[str], list[tuple]],
    years: Sequence[int],
    timings: dict[str, float] | None = None,
    *,
    salt: str = "0",
    verified_before: datetime | None = None,
    today: date | None = None,
) -> dict[str, dict]:
    """Run the whole pipeline; return {"counts": {level: rows}, "amounts": {...}, "network": {...}, "impacts": rows,
    "directory": {level: rows}, "strata": {level: rows}, "survival": rows}."""
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now

    for table in TEMP_TABLES:
        execute(f"DROP TABLE IF EXISTS {table}")
    for statement in staging_statements(salt, verified_before):
        lap("staging " + _create(execute, statement))
    if years:
        execute("INSERT INTO obs_years (y) VALUES " + ", ".join(f"({int(y)})" for y in years))
    for statement in facts_statements(salt):
        lap("staging " + _create(execute, statement))
    for statement in rollup_statements("obs_c", "obs_cube", (), [*COUNT_NAMES, *KEY_NAMES], counts=True):
        _create(execute, statement)
    lap("rollup counts")
    for statement in rollup_statements("obs_a", "obs_gifts", ("kind", "giver_id"), ("amount", "gkey")):
        _create(execute, statement)
    lap("rollup amounts")
    result: dict = {"counts": {}, "amounts": {}, "network": {}}
    result["impacts"] = fetch(impact_query())
    lap("impacts")
    # Coverage, weighting and survival (issue 23).
    result["directory"] = {level: fetch(directory_query(level, column)) for level, column in LEVELS}
    result["strata"] = {level: fetch(strata_query(level, column)) for level, column in LEVELS if level in STRATA_LEVELS}
    result["survival"] = fetch(survival_query((today or datetime.now().date()).isoformat()))
    lap("coverage and survival")
    for level, column in LEVELS:
        result["counts"][level] = fetch(count_query(level, column))
        lap("counts")
        result["amounts"][level] = fetch(amount_query(level, column))
        lap("amounts")
        result["network"][level] = fetch(network_query(level, column))
        lap("network")
    for table in TEMP_TABLES:
        execute(f"DROP TABLE IF EXISTS {table}")
    return result


def year_bounds_queries() -> tuple[str, str]:
    """Earliest year of a counted alliance and of a contributing workspace (to bound ``obs_years``)."""
    return (
        f"SELECT MIN({year('a.starts')}) FROM alliances_alliance a",
        f"SELECT MIN({year('w.created_at')}) FROM workspaces_workspace w "
        "WHERE w.contributes_to_observatory AND w.verified_at IS NOT NULL",
    )
