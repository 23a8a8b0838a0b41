# ruff: noqa: S608  (SQL assembled from constants of this module, never from user input)
"""The observatory's set-based SQL, written once for PostgreSQL, SQLite and DuckDB (the benchmark's baseline).

Steps (temporary tables, then one aggregate query per territorial level):
1. ``obs_assoc``: the counted associations (their workspace agreed to contribute), with their territory, main
   cause and budget band, and the year from which they are counted;
2. ``obs_ties``: each association's partners in its alliances (kind of partner, years, forms);
3. ``obs_facts``: one row per association and year: which kinds of partners, forms, new alliances;
4. ``obs_time`` and ``obs_gifts``: time invested and gifts received, per association and year (and giver);
5. per level: ``GROUP BY`` the territory column with the cause and budget-band breakdowns (``GROUPING SETS`` on
   PostgreSQL and DuckDB, ``UNION ALL`` on SQLite).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

LOCAL_AUTHORITY = "('commune', 'epci', 'departement', 'region')"
PUBLIC = "('commune', 'epci', 'departement', 'region', 'state_service')"
TEMP_TABLES = ("obs_assoc", "obs_ties", "obs_years", "obs_facts", "obs_time", "obs_gifts")

# Level → the facts column holding the territory code (None: the whole of France).
LEVELS: list[tuple[str, str | None]] = [
    ("france", None),
    ("region", "region"),
    ("departement", "dep"),
    ("epci", "epci"),
    ("commune", "commune"),
]
# The commune level is published for all causes and bands only: by cause it would be almost all secret.
BREAKDOWN_LEVELS = {"france", "region", "departement", "epci"}

COUNT_COLUMNS = [
    ("associations", "COUNT(*)"),
    (
        "kinds_sum",
        "SUM(f.local_authority + f.association_foundation + f.school + f.company + f.insertion + f.research)",
    ),
    ("local_authority", "SUM(f.local_authority)"),
    ("association_foundation", "SUM(f.association_foundation)"),
    ("school", "SUM(f.school)"),
    ("company", "SUM(f.company)"),
    ("insertion", "SUM(f.insertion)"),
    ("research", "SUM(f.research)"),
    ("public", "SUM(f.public)"),
    ("company_and_public", "SUM(f.company * f.public)"),
    ("form_mecenat", "SUM(f.form_mecenat)"),
    ("form_responsible", "SUM(f.form_responsible)"),
    ("form_cooperation", "SUM(f.form_cooperation)"),
    ("form_innovation", "SUM(f.form_innovation)"),
    ("new_alliances", "SUM(f.new_alliances)"),
    ("new_mecenat_only", "SUM(f.new_mecenat_only)"),
    ("new_coconstruction", "SUM(f.new_coconstruction)"),
    ("minutes", "SUM(COALESCE(tm.minutes, 0))"),
    ("ties_company", "SUM(f.ties_company)"),
    ("ties_public", "SUM(f.ties_public)"),
]


class Dialect:
    def __init__(self, vendor: str):
        self.vendor = vendor  # "postgresql", "sqlite" or "duckdb"

    def year(self, expr: str) -> str:
        if self.vendor == "sqlite":
            return f"CAST(strftime('%Y', {expr}) AS INTEGER)"
        if self.vendor == "duckdb":  # Parquet columns may hold text (from SQLite) or only NULLs
            return f"CAST(EXTRACT(YEAR FROM CAST({expr} AS TIMESTAMP)) AS INTEGER)"
        return f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)"

    def forms(self, alias: str) -> str:
        return f"CAST({alias}.forms AS TEXT)" if self.vendor == "postgresql" else f"{alias}.forms"

    @property
    def grouping_sets(self) -> bool:
        return self.vendor in ("postgresql", "duckdb")

    @property
    def true(self) -> str:
        return "TRUE"


def _has(dialect: Dialect, form: str) -> str:
    return f"CASE WHEN {dialect.forms('a')} LIKE '%\"{form}\"%' THEN 1 ELSE 0 END"


def staging_statements(dialect: Dialect, years: Sequence[int] | None = None) -> list[str]:
    """CREATE TEMP TABLE statements, in order. ``obs_years`` is filled separately (see :func:`years_statement`)."""
    y = dialect.year
    mecenat = " OR ".join(
        f"{dialect.forms('a')} LIKE '%\"{f}\"%'" for f in ("mecenat_financier", "mecenat_nature", "mecenat_competences")
    )
    return [
        # 1. Counted associations.
        f"""CREATE TEMP TABLE obs_assoc AS
        SELECT o.id AS assoc_id,
               COALESCE(cm.parent_id, o.commune_id) AS commune,
               CASE WHEN cm.code IS NULL THEN o.epci_id ELSE cm.epci_id END AS epci,
               COALESCE(cm.departement_id, o.departement_id) AS dep,
               COALESCE(cm.region_id, o.region_id) AS region,
               COALESCE(NULLIF(o.budget_band, ''), 'unknown') AS band,
               COALESCE((SELECT oc.cause_id FROM organizations_organization_causes oc
                         JOIN organizations_cause c ON c.code = oc.cause_id
                         WHERE oc.organization_id = o.id ORDER BY c.position LIMIT 1), 'none') AS cause,
               MIN({y("w.created_at")}) AS since
        FROM organizations_organization o
        JOIN workspaces_workspace w ON w.organization_id = o.id AND w.contributes_to_observatory = {dialect.true}
        LEFT JOIN territories_commune cm ON cm.code = o.commune_id
        WHERE o.kind = 'association'
        GROUP BY o.id, cm.code, cm.parent_id, o.commune_id, o.epci_id, cm.epci_id, o.departement_id, cm.departement_id,
                 o.region_id, cm.region_id, o.budget_band""",
        # 2. Partners of each counted association, with the alliance's years and forms.
        f"""CREATE TEMP TABLE obs_ties AS
        SELECT p.organization_id AS assoc_id, a.id AS alliance_id,
               {y("COALESCE(a.starts_on, a.created_at)")} AS sy,
               COALESCE({y("a.ends_on")}, 9999) AS ey,
               q.organization_id AS partner_id, po.kind AS pkind,
               CASE WHEN {mecenat} THEN 1 ELSE 0 END AS f_mec,
               {_has(dialect, "pratiques_responsables")} AS f_rse,
               {_has(dialect, "cooperation_economique")} AS f_coop,
               {_has(dialect, "innovation_sociale")} AS f_innov
        FROM alliances_party p
        JOIN obs_assoc x ON x.assoc_id = p.organization_id
        JOIN alliances_alliance a ON a.id = p.alliance_id AND a.stage NOT IN ('identified', 'abandoned')
        JOIN alliances_party q ON q.alliance_id = a.id AND q.id <> p.id AND q.left_at IS NULL
        JOIN organizations_organization po ON po.id = q.organization_id
        WHERE p.left_at IS NULL""",
        "CREATE TEMP TABLE obs_years (y INTEGER)",
    ]


def facts_statements(dialect: Dialect) -> list[str]:
    y = dialect.year
    return [
        f"""CREATE TEMP TABLE obs_facts AS
        SELECT x.assoc_id, yy.y AS year, x.commune, x.epci, x.dep, x.region, x.cause, x.band,
          MAX(CASE WHEN t.pkind IN {LOCAL_AUTHORITY} THEN 1 ELSE 0 END) AS local_authority,
          MAX(CASE WHEN t.pkind IN ('association', 'foundation') THEN 1 ELSE 0 END) AS association_foundation,
          MAX(CASE WHEN t.pkind = 'school' THEN 1 ELSE 0 END) AS school,
          MAX(CASE WHEN t.pkind = 'company' THEN 1 ELSE 0 END) AS company,
          MAX(CASE WHEN t.pkind = 'siae' THEN 1 ELSE 0 END) AS insertion,
          MAX(CASE WHEN t.pkind = 'research_lab' THEN 1 ELSE 0 END) AS research,
          MAX(CASE WHEN t.pkind IN {PUBLIC} THEN 1 ELSE 0 END) AS public,
          MAX(CASE WHEN t.pkind = 'company' THEN t.f_mec ELSE 0 END) AS form_mecenat,
          MAX(CASE WHEN t.pkind = 'company' THEN t.f_rse ELSE 0 END) AS form_responsible,
          MAX(CASE WHEN t.pkind = 'company' THEN t.f_coop ELSE 0 END) AS form_cooperation,
          MAX(CASE WHEN t.pkind = 'company' THEN t.f_innov ELSE 0 END) AS form_innovation,
          COUNT(DISTINCT CASE WHEN t.sy = yy.y AND t.pkind = 'company' THEN t.alliance_id END) AS new_alliances,
          COUNT(DISTINCT CASE WHEN t.sy = yy.y AND t.pkind = 'company' AND t.f_mec = 1
                AND t.f_rse + t.f_coop + t.f_innov = 0 THEN t.alliance_id END) AS new_mecenat_only,
          COUNT(DISTINCT CASE WHEN t.sy = yy.y AND t.pkind = 'company' AND t.f_coop + t.f_innov > 0
                THEN t.alliance_id END) AS new_coconstruction,
          COUNT(DISTINCT CASE WHEN t.pkind = 'company' THEN t.partner_id END) AS ties_company,
          COUNT(DISTINCT CASE WHEN t.pkind IN {PUBLIC} THEN t.partner_id END) AS ties_public
        FROM obs_assoc x
        JOIN obs_years yy ON yy.y >= x.since
        LEFT JOIN obs_ties t ON t.assoc_id = x.assoc_id AND t.sy <= yy.y AND t.ey >= yy.y
        GROUP BY x.assoc_id, yy.y, x.commune, x.epci, x.dep, x.region, x.cause, x.band""",
        f"""CREATE TEMP TABLE obs_time AS
        SELECT p.organization_id AS assoc_id, {y("i.occurred_on")} AS year, SUM(att.minutes) AS minutes
        FROM alliances_attendance att
        JOIN alliances_party p ON p.id = att.party_id
        JOIN obs_assoc x ON x.assoc_id = p.organization_id
        JOIN alliances_interaction i ON i.id = att.interaction_id
        GROUP BY p.organization_id, {y("i.occurred_on")}""",
        f"""CREATE TEMP TABLE obs_gifts AS
        SELECT r.organization_id AS assoc_id, {y("COALESCE(c.received_on, c.promised_on, c.created_at)")} AS year,
               g.organization_id AS giver_id, c.kind AS kind, SUM(c.value) AS amount
        FROM contributions_contribution c
        JOIN alliances_party r ON r.id = c.receiver_id
        JOIN obs_assoc x ON x.assoc_id = r.organization_id
        JOIN alliances_party g ON g.id = c.giver_id
        WHERE c.kind IN ('money', 'in_kind', 'skills') AND c.status = 'received'
        GROUP BY r.organization_id, {y("COALESCE(c.received_on, c.promised_on, c.created_at)")},
                 g.organization_id, c.kind""",
    ]


def _sets(level: str) -> list[tuple[bool, bool]]:
    """(by cause, by band) combinations computed at a level."""
    return [(False, False), (True, False), (False, True)] if level in BREAKDOWN_LEVELS else [(False, False)]


def _grouped(dialect: Dialect, level: str, column: str | None, select: str, source: str, extra_keys: str = "") -> str:
    """One query returning (code, year, cause, band, <select>) for every breakdown of the level."""
    code = f"f.{column}" if column else "'FR'"
    where = f"WHERE f.{column} IS NOT NULL" if column else ""
    keys = [f"f.{column}"] if column else []
    if dialect.grouping_sets and len(_sets(level)) > 1:
        sets = []
        for by_cause, by_band in _sets(level):
            cols = [*keys, "f.year"] + (["f.cause"] if by_cause else []) + (["f.band"] if by_band else [])
            sets.append("(" + ", ".join(cols + ([extra_keys] if extra_keys else [])) + ")")
        group = f"GROUP BY GROUPING SETS ({', '.join(sets)})"
        return (
            f"SELECT {code} AS code, f.year, "
            + "CASE WHEN GROUPING(f.cause) = 1 THEN '' ELSE f.cause END AS cause, "
            + "CASE WHEN GROUPING(f.band) = 1 THEN '' ELSE f.band END AS band, "
            + f"{select} FROM {source} {where} {group}"
        )
    parts = []
    for by_cause, by_band in _sets(level):
        cols = [*keys, "f.year"] + (["f.cause"] if by_cause else []) + (["f.band"] if by_band else [])
        cause = "f.cause" if by_cause else "''"
        band = "f.band" if by_band else "''"
        group = ", ".join(cols + ([extra_keys] if extra_keys else []))
        parts.append(
            f"SELECT {code} AS code, f.year, {cause} AS cause, {band} AS band, {select} "
            f"FROM {source} {where} GROUP BY {group}"
        )
    return " UNION ALL ".join(parts)


def count_query(dialect: Dialect, level: str, column: str | None) -> str:
    select = ", ".join(f"{expr} AS {name}" for name, expr in COUNT_COLUMNS)
    source = "obs_facts f LEFT JOIN obs_time tm ON tm.assoc_id = f.assoc_id AND tm.year = f.year"
    return _grouped(dialect, level, column, select, source)


def amount_query(dialect: Dialect, level: str, column: str | None) -> str:
    """Per cell and kind of gift: number of distinct givers, total, and the largest giver's total."""
    inner_select = "g.kind AS kind, g.giver_id AS giver_id, SUM(g.amount) AS s"
    source = "obs_gifts g JOIN obs_facts f ON f.assoc_id = g.assoc_id AND f.year = g.year"
    inner = _grouped(dialect, level, column, inner_select, source, extra_keys="g.kind, g.giver_id")
    return (
        "SELECT code, year, cause, band, kind, COUNT(*) AS givers, SUM(s) AS total, MAX(s) AS top "
        f"FROM ({inner}) gv GROUP BY code, year, cause, band, kind"
    )


def network_query(dialect: Dialect, level: str, column: str | None) -> str:
    """Distinct companies and public bodies tied to the territory's associations (all causes and bands)."""
    code = f"f.{column}" if column else "'FR'"
    where = f"AND f.{column} IS NOT NULL" if column else ""
    group = f"f.{column}, f.year" if column else "f.year"
    return (
        f"SELECT {code} AS code, f.year, "
        f"COUNT(DISTINCT CASE WHEN t.pkind = 'company' THEN t.partner_id END) AS companies_tied, "
        f"COUNT(DISTINCT CASE WHEN t.pkind IN {PUBLIC} THEN t.partner_id END) AS public_tied "
        f"FROM obs_facts f JOIN obs_ties t ON t.assoc_id = f.assoc_id AND t.sy <= f.year AND t.ey >= f.year "
        f"WHERE 1 = 1 {where} GROUP BY {group}"
    )


def analyze(dialect: Dialect, execute: Callable[[str], None], table: str) -> None:
    """Temporary tables are never auto-analysed on PostgreSQL: without statistics it picks nested loops."""
    if dialect.vendor == "postgresql":
        execute(f"ANALYZE {table}")


def run_aggregates(
    dialect: Dialect,
    execute: Callable[[str], None],
    fetch: Callable[[str], list[tuple]],
    years: Sequence[int],
    timings: dict[str, float] | None = None,
) -> dict[str, dict]:
    """Run the whole pipeline; return {"counts": {level: rows}, "amounts": {...}, "network": {...}}."""
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now

    for table in TEMP_TABLES:
        execute(f"DROP TABLE IF EXISTS {table}")
    for statement in staging_statements(dialect):
        execute(statement)
        analyze(dialect, execute, statement.split()[3])
        lap("staging " + statement.split()[3])
    if years:
        execute("INSERT INTO obs_years (y) VALUES " + ", ".join(f"({int(y)})" for y in years))
    if dialect.vendor == "sqlite":  # no hash joins in SQLite: index the temporary tables it joins on
        execute("CREATE INDEX obs_ties_idx ON obs_ties (assoc_id, sy)")
    for statement in facts_statements(dialect):
        execute(statement)
        analyze(dialect, execute, statement.split()[3])
        lap("staging " + statement.split()[3])
    if dialect.vendor == "sqlite":
        execute("CREATE INDEX obs_time_idx ON obs_time (assoc_id, year)")
        execute("CREATE INDEX obs_facts_idx ON obs_facts (assoc_id, year)")
    result: dict[str, dict] = {"counts": {}, "amounts": {}, "network": {}}
    for level, column in LEVELS:
        result["counts"][level] = fetch(count_query(dialect, level, column))
        lap("counts")
        result["amounts"][level] = fetch(amount_query(dialect, level, column))
        lap("amounts")
        result["network"][level] = fetch(network_query(dialect, level, column))
        lap("network")
    for table in TEMP_TABLES:
        execute(f"DROP TABLE IF EXISTS {table}")
    return result


def year_bounds_queries(dialect: Dialect) -> tuple[str, str]:
    """Earliest year of a counted alliance and of a contributing workspace (to bound ``obs_years``)."""
    y = dialect.year
    return (
        f"SELECT MIN({y('COALESCE(a.starts_on, a.created_at)')}) FROM alliances_alliance a",
        f"SELECT MIN({y('w.created_at')}) FROM workspaces_workspace w WHERE w.contributes_to_observatory = TRUE",
    )
