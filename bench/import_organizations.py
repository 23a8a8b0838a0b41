"""Benchmark: organisations import (issue 21), at two directory sizes, and the peak memory of a large XLSX.

Targets: at least 5,000 rows/s checked and written on PostgreSQL and SQLite, no slower with a large directory
than with a small one; the web flow of a 2,000-row file (upload, check, run) at least 10x faster than the
63.5 s measured before the issue; an XLSX at the size limit under 256 MB of memory. Printed with the ratio to a
raw insert (``COPY`` on PostgreSQL, ``executemany`` on SQLite) of the same rows, measured in the same run.

    .venv/bin/python bench/import_organizations.py --db sqlite --directory 50000
    .venv/bin/python bench/import_organizations.py --db sqlite --directory 1000000
    .venv/bin/python bench/import_organizations.py --db postgres --directory 50000 --xlsx-mb 18

It works on its own database (a temporary SQLite file, or PostgreSQL ``maillage_bench``, dropped at the end),
generated with ``bench/directory_search.py``'s generator (real communes weighted by population). What is timed,
for a file of ``--file-rows`` new organisations (names from the same vocabulary, a commune each, half with a
SIREN), at each directory size:
- "web flow": the pages a person goes through, with Django's test client: upload (the file parsed once),
  the column mapping posted (the check), then the run as the worker does it (``runner.run``);
- "rows/s": the file's rows over the check + run time;
- the baseline: the same organisations (already checked) inserted raw into the organisations table, rolled
  back.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import directory_search as ds  # noqa: E402

BEFORE_WEB_FLOW_S = 63.5  # issue 21: a 2,000-row file through the pages, before
TARGET_ROWS_S = 5000
TARGET_RSS_MB = 256


def organisations_file(rows: int, seed: int) -> tuple[bytes, list[tuple]]:
    from maillage.core.text import normalize

    places, weights = ds.load_places()
    vocabulary = ds.load_vocabulary()
    rng = Random(seed)
    lines = ["Nom;SIREN;Commune;Type"]
    raw = []
    for i in range(rows):
        place = rng.choices(places, cum_weights=weights)[0]
        words = rng.choices(vocabulary.words, weights=vocabulary.word_weights, k=2)
        name = f"Association {words[0]} {words[1]} {rng.choice(vocabulary.last_names)} {seed}-{i}"
        siren = ds.luhn_complete(f"9{seed % 100:02d}{i:05d}") if i % 2 else ""  # distinct per --file-seed
        lines.append(f"{name};{siren};{place.code};association")
        raw.append((name, normalize(name), siren or None, place.code))
    return ("\r\n".join(lines) + "\r\n").encode(), raw


def raw_insert(raw: list[tuple]) -> float:
    """The same rows inserted raw (``COPY`` / ``executemany``) into the organisations table, rolled back."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    rows = [("association", name, search, siren, code, "", "", "", "", now) for name, search, siren, code in raw]
    columns = (
        "kind, name, name_search, siren, commune_id, website, description, budget_band, workforce_band, created_at"
    )
    start, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
    server_part = ""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY organizations_organization ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        f"INSERT INTO organizations_organization ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            server_end = server_cpu()
            if server is not None and server_end is not None and server[0] == server_end[0]:
                server_part = f", {(server_end[1] - server[1]) * 1000:.0f} ms in the PostgreSQL server process"
            raise RuntimeError  # roll back
    except RuntimeError:
        pass
    print(
        f"  raw insert of the file's rows: {elapsed * 1000:.0f} ms, {cpu * 1000:.0f} ms of CPU in this process"
        f"{server_part}"
    )
    return elapsed


def server_cpu() -> tuple[int, float] | None:
    """PostgreSQL: the CPU seconds this connection's server process has used (from ``/proc``: the server runs on
    this machine in the bench's set-up), else None. With the process's own CPU, the import's whole CPU cost on a
    shared machine, whatever the load."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def web_flow(content: bytes, label: str) -> tuple[float, float, int]:
    """Upload, mapping (check), run; returns (web flow seconds, check + run seconds, rows created)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from maillage.core.roles import Role
    from maillage.exchange import runner
    from maillage.exchange.models import ImportJob
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Membership, User, Workspace

    user = User.objects.filter(email="bench@import.test").first()
    if user is None:
        user = User.objects.create_user(email="bench@import.test", password="bench-import-2026!")
        ws = Workspace.objects.create(name="Banc", organization=Organization.objects.order_by("pk").first())
        Membership.objects.create(workspace=ws, user=user, role=Role.OWNER)
    client = Client()
    client.force_login(user)
    client.get("/donnees/")  # warm-up: the modules a running server has already imported
    start = time.perf_counter()
    client.post("/donnees/imports/", {"entity": "organization", "file": SimpleUploadedFile(f"{label}.csv", content)})
    uploaded = time.perf_counter()
    cpu, server = time.process_time(), server_cpu()
    job = ImportJob.objects.latest("pk")
    client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": n for i, n in job.mapping.items()})
    checked = time.perf_counter()
    check_cpu = time.process_time() - cpu
    job = runner.run(job.pk)
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    server_end = server_cpu()
    server_part = ""
    if server is not None and server_end is not None and server[0] == server_end[0]:  # the same connection
        server_s = server_end[1] - server[1]
        server_part = (
            f"; the PostgreSQL server process: {server_s:.2f} s of CPU (together"
            f" {args_rows(job) / (cpu + server_s):,.0f} rows per CPU second)"
        )
    print(
        f"  {label}: upload {uploaded - start:.2f} s, check {checked - uploaded:.2f} s, run {done - checked:.2f} s"
        f" → web flow {done - start:.2f} s; {job.created_rows} created, {job.matched_rows} in the directory,"
        f" {job.rejected_rows} refused of {job.total_rows} ({job.status}); check + run: {cpu:.2f} s of CPU in this"
        f" process (check {check_cpu:.2f} s, run {cpu - check_cpu:.2f} s)"
        f" ({args_rows(job) / cpu:,.0f} rows per CPU second; SQLite works in this process, PostgreSQL not)"
        f"{server_part}; load average {os.getloadavg()[0]:.1f}"
    )
    return done - start, done - uploaded, job.created_rows


def args_rows(job) -> int:
    return job.total_rows or 1


def xlsx_memory(megabytes: int, db: str) -> None:
    """A generated XLSX near ``megabytes``, imported by ``maillage import --validate-only`` in a child process:
    its peak RSS and time."""
    import openpyxl

    path = Path(tempfile.mkdtemp(prefix="bench-xlsx-")) / "large.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Nom", "Commune", "Type", "Présentation"])
    rng = Random(3)
    rows = 0
    # ~95 bytes compressed per row of this shape (measured): the limit's size in rows, under MAX_ROWS.
    target = min(199_000, megabytes * 1024 * 1024 // 95)
    for i in range(target):
        sheet.append([f"Association {i} {rng.random():.6f}", "69123", "association", f"Objet {rng.random()} " * 4])
        rows += 1
    workbook.save(path)
    size = path.stat().st_size / 1024 / 1024
    env = dict(os.environ)
    from maillage.workspaces.models import Workspace

    ws = Workspace.objects.order_by("pk").first()
    start = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "django",
            "import",
            "--file",
            str(path),
            "--entity",
            "organization",
            "--workspace",
            str(ws.pk),
            "--validate-only",
        ],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    first = (result.stdout or result.stderr).splitlines()[:1]
    print(
        f"  XLSX {size:.1f} MB, {rows:,} rows: upload + check in {elapsed:.1f} s, peak RSS {peak:.0f} MB"
        f" (target < {TARGET_RSS_MB} MB, < 60 s) {'PASS' if peak < TARGET_RSS_MB and elapsed < 60 else 'FAIL'}; {first}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--directory", type=int, default=50_000, help="organisations generated before the import")
    parser.add_argument("--file-rows", type=int, default=2000)
    parser.add_argument("--xlsx-mb", type=int, default=0, help="also measure an XLSX of about this size")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end (prints where)")
    parser.add_argument("--pg-database", default=ds.PG_DATABASE, help="PostgreSQL database of the bench")
    parser.add_argument(
        "--reuse",
        help="measure on a database kept by --keep (its SQLite file, or with --db postgres its name), not generated"
        " again; give a --file-seed not used on it before",
    )
    parser.add_argument("--file-seed", type=int, default=11, help="seed of the imported file's organisations")
    parser.add_argument("--profile", action="store_true", help="print a profile of each web flow")
    args = parser.parse_args()
    args.seed, args.rows = 1, args.directory
    args.var_dir = None  # directory_search.with_cleanup: a fresh temporary directory (printed with --keep)

    def measure(size: int, seed: int) -> tuple[bool, float]:
        from django.db import connection

        ds.migrate()
        if not args.reuse:
            ds.generate(size, seed, connection.vendor)
        content, raw = organisations_file(args.file_rows, args.file_seed)
        baseline = raw_insert(raw)
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile(time.process_time)  # CPU: the machine is shared
            flow, work, created = profile.runcall(web_flow, content, f"directory {size:,}")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
            if os.environ.get("BENCH_PROFILE_FILE"):
                profile.dump_stats(os.environ["BENCH_PROFILE_FILE"])
        else:
            flow, work, created = web_flow(content, f"directory {size:,}")
        rate = args.file_rows / work
        print(
            f"  directory {size:,} ({connection.vendor}): {rate:,.0f} rows/s checked and written (target ≥ "
            f"{TARGET_ROWS_S:,}); raw insert of the same rows {baseline * 1000:.0f} ms → import / raw = "
            f"{work / baseline:.1f}×; web flow {flow:.2f} s = {BEFORE_WEB_FLOW_S / flow:.1f}× faster than "
            f"{BEFORE_WEB_FLOW_S} s before"
        )
        if args.xlsx_mb:
            xlsx_memory(args.xlsx_mb, args.db)
        return rate >= TARGET_ROWS_S and BEFORE_WEB_FLOW_S / flow >= 10 and created == args.file_rows, rate

    started = time.perf_counter()
    # One directory size per process (Django's settings point at one database): run it once per size and
    # compare the rows/s lines (the ratio to the raw insert is measured in each run).
    print(f"\nDirectory of {args.directory:,} organisations, file of {args.file_rows:,} rows")
    result: list = []
    ds.PG_DATABASE = args.pg_database
    if args.reuse:  # a database kept by a previous run: nothing generated, nothing dropped
        os.environ.pop("DATABASE_URL", None)
        if args.db == "postgres":
            os.environ["DATABASE_URL"] = f"{ds.PG_SERVER}/{args.reuse}"
        else:
            os.environ["MAILLAGE_VAR_DIR"] = str(Path(args.reuse).parent)
        ds.setup_django()
        result.append(measure(args.directory, 1))
    else:
        ds.with_cleanup(args, lambda: result.append(measure(args.directory, 1)) or True)
    ok = result[0][0]
    print(f"\nTotal {time.perf_counter() - started:.0f} s: {'all targets met' if ok else 'some targets missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
