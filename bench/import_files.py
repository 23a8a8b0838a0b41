"""Benchmark: reading a large file for an import (issue 21): an XLSX and a wide CSV at the size limit.

Target: an XLSX at the size limit (``readers.MAX_FILE_BYTES``, 20 MB; 18 MB of XLSX, about 185 MB of sheet XML)
under 256 MB of memory and under 60 s from upload to report. Each figure comes with a baseline measured in the
same run on the same file (the machine is shared and noisy): a bare ``openpyxl`` read-only pass over the XLSX
(``values_only``), a bare ``csv`` module pass over the CSV.

    .venv/bin/python bench/import_files.py                      # XLSX 18 MB and CSV 19.5 MB, SQLite
    .venv/bin/python bench/import_files.py --db postgres
    .venv/bin/python bench/import_files.py --xlsx-mb 5 --csv-mb 5   # smaller files

Each measure runs in a child process of its own (its peak RSS from ``getrusage``, the Python process with
Django loaded included):
- "read": ``readers`` over the file, rows counted (no database);
- "baseline": the bare pass (openpyxl or csv) over the same file;
- "CLI": ``maillage import --file F --entity contribution --validate-only`` (upload, parse, check);
- "web": the pages with Django's test client: upload (the file parsed once into its parsed form), the mapping
  page, the columns posted (the check, as the page does it), the report page: upload to report.

``--server`` measures what decides the target, production's processes: gunicorn started with the project's
configuration (``maillage/gunicorn_conf.py``: its workers and threads; ``DEBUG=0``) and ``maillage worker``, each a
process of its own; a real HTTP client (``requests``) logs in, posts the file to the upload page, opens the mapping
page, posts the columns as guessed (the check), opens the report, then starts the import and waits for the worker.
It prints the time from upload to report, each process's peak RSS (``VmHWM`` from ``/proc``: the kernel's own
peak, nothing sampled), its idle RSS and its CPU seconds, with their ratios to the bare pass of the same run
(``--all``: the in-process measures too).

    PYTHONPATH=src .venv/bin/python bench/import_files.py --server            # real server + worker, both files

Contributions are the kind imported (the check of the rows is the fastest one: what is measured is the file, not
the organisations' matching, which ``import_organizations.py`` measures).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
TARGET_RSS_MB = 256
TARGET_S = 60

HEADERS = ["Alliance", "Donateur", "Bénéficiaire", "Nature", "Description", "Montant", "Statut", "Reçue le"]
HEADERS += [f"Note {i}" for i in range(1, 21)]  # columns not mapped, as real files have


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


WORDS = [
    "jardin",
    "potager",
    "solidaire",
    "quartier",
    "atelier",
    "vélo",
    "réparation",
    "épicerie",
    "sociale",
    "école",
    "musique",
    "chorale",
    "théâtre",
    "bibliothèque",
    "cuisine",
    "repas",
    "partagé",
    "lien",
    "social",
    "insertion",
    "emploi",
    "jeunes",
    "aînés",
    "santé",
    "sport",
    "loisirs",
    "culture",
    "patrimoine",
    "nature",
    "environnement",
    "compost",
    "énergie",
    "habitat",
    "mobilité",
    "numérique",
    "formation",
    "accueil",
    "famille",
]


def write_xlsx(path: Path, rows: int, seed: int = 3) -> tuple[int, int]:
    """An XLSX as Excel writes it (shared strings, ``r`` attributes, dates as serial numbers with a style), of
    ``rows`` data rows: returns (file size, sheet XML size)."""
    rng = Random(seed)
    strings: dict[str, int] = {}

    def shared(text: str) -> str:
        index = strings.setdefault(text, len(strings))
        return f"<v>{index}</v>"

    cols = [_column(i) for i in range(len(HEADERS))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Dons" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>",
        )
        sheet_size = 0
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:

            def write(text: str) -> None:
                nonlocal sheet_size
                data = text.encode()
                sheet_size += len(data)
                out.write(data)

            write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<dimension ref="A1:{cols[-1]}{rows + 1}"/><sheetData>'
            )
            header = "".join(f'<c r="{c}1" t="s">{shared(h)}</c>' for c, h in zip(cols, HEADERS, strict=True))
            write(f'<row r="1" spans="1:{len(cols)}">{header}</row>')
            parts = []
            for r in range(2, rows + 2):
                words = rng.choices(WORDS, k=6)
                values = [  # the parties and alliance of ``tests.exchange.processes.SEED``: every row accepted
                    ("s", "Potager solidaire"),
                    ("s", "732829320"),
                    ("s", "Les Jardins de l'Essai"),
                    ("s", "Don financier"),
                    ("s", f"Don n° {r} {' '.join(words)}"),
                    ("n", f"{rng.randrange(1, 100_000) / 100}"),
                    ("s", "reçue"),
                    ("d", f"{45000 + rng.randrange(900)}"),
                ] + [("s", f"{rng.choice(WORDS)} {rng.randrange(1000)}") for _ in range(20)]
                cells = []
                for c, (kind, value) in zip(cols, values, strict=True):
                    if kind == "s":
                        cells.append(f'<c r="{c}{r}" t="s">{shared(value)}</c>')
                    elif kind == "d":
                        cells.append(f'<c r="{c}{r}" s="1"><v>{value}</v></c>')
                    else:
                        cells.append(f'<c r="{c}{r}"><v>{value}</v></c>')
                parts.append(f'<row r="{r}" spans="1:{len(cols)}">{"".join(cells)}</row>')
                if len(parts) == 1000:
                    write("".join(parts))
                    parts = []
            write("".join(parts) + "</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(strings)}" uniqueCount="{len(strings)}">'.encode()
            )
            batch = []
            for text in strings:
                batch.append(f"<si><t>{escape(text)}</t></si>")
                if len(batch) == 10_000:
                    out.write("".join(batch).encode())
                    batch = []
            out.write(("".join(batch) + "</sst>").encode())
    return path.stat().st_size, sheet_size


def write_csv(path: Path, megabytes: float, seed: int = 5, columns: int = 120) -> int:
    """A wide CSV (``columns`` columns, the first ones those of a contributions file) of about ``megabytes``;
    returns its number of data rows."""
    rng = Random(seed)
    headers = HEADERS[:8] + [f"Colonne {i}" for i in range(columns - 8)]
    target = int(megabytes * 1024 * 1024)
    size, rows = 0, 0
    with path.open("w", encoding="utf-8", newline="") as out:
        line = ";".join(headers) + "\r\n"
        out.write(line)
        size += len(line.encode())
        while size < target:
            rows += 1
            words = rng.choices(WORDS, k=4)
            cells = [
                "Potager solidaire",
                "732829320",
                "Les Jardins de l'Essai",
                "Don financier",
                f'"Don n° {rows}, {words[2]} ; {words[3]}"',
                f"{rng.randrange(1, 100_000) / 100:.2f}".replace(".", ","),
                "reçue",
                f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 13):02d}/2024",
            ] + [f"{rng.choice(WORDS)} {rng.randrange(1000)}" for _ in range(columns - 8)]
            line = ";".join(cells) + "\r\n"
            out.write(line)
            size += len(line.encode())
    return rows


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str, workspace: int) -> None:
    """One measure, in this process: prints ``RESULT seconds peak_MB detail``."""
    sys.path.insert(0, str(ROOT / "src"))
    # The file in memory only for the measures that take it as bytes: the CLI reads it itself, the web test
    # client from the file (a server process does not hold the file before the request).
    data = Path(path).read_bytes() if mode in {"openpyxl", "csv", "read"} else b""
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime  # the measure's CPU seconds (the machine is shared)
    start = time.perf_counter()
    detail = ""
    if mode == "openpyxl":
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        detail = f"{rows:,} rows"
    elif mode == "csv":
        import csv

        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        detail = f"{sum(1 for _ in csv.reader(text, delimiter=';')):,} records"
    elif mode == "read":
        from maillage.exchange.readers import stream_table

        sheet = stream_table(data)
        detail = f"{sum(1 for _ in sheet.rows):,} rows"
    else:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
        django.setup()
        if mode == "cli":
            from django.core.management import call_command

            out = io.StringIO()
            call_command(
                "import", file=path, entity="contribution", workspace=workspace, validate_only=True, stdout=out
            )
            detail = out.getvalue().splitlines()[0]
        elif mode == "web":
            detail = _web(path, workspace)
        elif mode == "check":  # the check alone (``runner.validate``) of the job queued by ``web``, queued again
            from maillage.exchange import runner
            from maillage.exchange.models import ImportJob

            job = ImportJob.objects.filter(status="queued").latest("pk")
            runner.validate(job)
            ImportJob.objects.filter(pk=job.pk).update(status="queued")
            detail = f"{job.accepted_rows:,} accepted of {job.total_rows:,}"
        elif mode == "run":
            from maillage.exchange import runner
            from maillage.exchange.models import ImportJob

            job = runner.run(ImportJob.objects.filter(status="queued").latest("pk").pk)
            detail = f"{job.status}: {job.created_rows:,} created of {job.total_rows:,}"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(f"RESULT {time.perf_counter() - start:.2f} {_peak_mb():.0f} {detail}; {cpu:.1f} CPU s", flush=True)


def _web(path: str, workspace: int) -> str:
    """The pages, with Django's test client: upload, mapping page, columns posted (the check), report; then
    the job queued (« Lancer l'import ») for the ``run`` measure."""
    from django.conf import settings
    from django.test import Client

    from maillage.core.roles import Role
    from maillage.exchange.models import ImportJob
    from maillage.workspaces.models import Membership, User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # DEBUG off: the test client's host
    user = User.objects.get(email="crash@test")
    Membership.objects.get_or_create(workspace_id=workspace, user=user, defaults={"role": Role.OWNER})
    client = Client()
    client.force_login(user)
    client.get("/donnees/")  # warm-up: the modules a running server has already imported
    start = time.perf_counter()
    with Path(path).open("rb") as file:
        response = client.post("/donnees/imports/", {"entity": "contribution", "file": file})
    uploaded = time.perf_counter()
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and job.mapping, (response.status_code, job.message)
    client.get(f"/donnees/imports/{job.pk}/colonnes/")
    shown = time.perf_counter()
    response = client.post(f"/donnees/imports/{job.pk}/colonnes/", {f"col-{i}": n for i, n in job.mapping.items()})
    checked = time.perf_counter()
    report = client.get(f"/donnees/imports/{job.pk}/")
    done = time.perf_counter()
    job.refresh_from_db()
    assert report.status_code == 200 and job.status == "validated", (report.status_code, job.status, job.message)
    client.post(f"/donnees/imports/{job.pk}/lancer/")
    return (
        f"upload {uploaded - start:.1f} s, mapping page {shown - uploaded:.1f} s, check {checked - shown:.1f} s, "
        f"report {done - checked:.1f} s; {job.accepted_rows:,} accepted of {job.total_rows:,}"
    )


MEMBER = r"""
from maillage.core.roles import Role
from maillage.workspaces.models import Membership, User
user = User.objects.filter(email="bench@exemple.fr").first()
user = user or User.objects.create_user("bench@exemple.fr", "mot de passe du banc", full_name="Banc")
Membership.objects.get_or_create(workspace_id={workspace}, user=user, defaults={{"role": Role.OWNER}})
"""


def _hwm_mb(pid: int) -> float:
    """A process's peak resident memory (``VmHWM``, kept by the kernel: no sampling to miss a peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    """A process's CPU seconds so far (user + system), from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(x) for x in (task / "children").read_text().split()]
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def server(path: Path, workspace: int, database) -> dict:
    """Production's processes: gunicorn with the project's configuration (``maillage/gunicorn_conf.py``: its
    workers, threads, timeout) serving ``maillage.wsgi``, and ``maillage worker``, each a process of its own; a
    real HTTP client (``requests``) logs in, uploads the file, opens the mapping page, posts the columns (the
    check), opens the report, starts the import; the worker runs it. Each process's peak RSS is its ``VmHWM``."""
    import requests

    database.run("shell", "-c", MEMBER.format(workspace=workspace))
    port = _free_port()
    env = {**database.env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_ACCESS_LOG": "", "WEB_TIMEOUT": "600"}
    env["WEB_LOG_LEVEL"] = "warning"
    log = (database.tmp / "server.log").open("w")
    gunicorn = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:maillage.gunicorn_conf"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("maillage")), "worker", "--no-scheduler", "--interval", "0.2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        for _ in range(600):
            try:
                page = session.get(f"{base}/compte/connexion/", timeout=120)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer: " + (database.tmp / "server.log").read_text()[-3000:])
        page = session.post(
            f"{base}/compte/connexion/",
            data={
                "username": "bench@exemple.fr",
                "password": "mot de passe du banc",
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            timeout=60,
        )
        assert page.status_code == 200 and "connexion" not in page.url, (page.status_code, page.url)
        home = session.get(f"{base}/donnees/", timeout=60)  # every worker warmed up: the pages a server has served
        for _ in range(8):
            session.get(f"{base}/donnees/", timeout=60)
        token = _csrf(home.text)
        workers = _children(gunicorn.pid)
        idle = {pid: _rss_mb(pid) for pid in workers}
        idle_worker = _rss_mb(worker.pid)
        cpu_before = sum(_cpu_s(pid) for pid in workers)
        start = time.perf_counter()
        with path.open("rb") as file:
            response = session.post(
                f"{base}/donnees/imports/",
                data={"entity": "contribution", "csrfmiddlewaretoken": token},
                files={"file": (path.name, file)},
                timeout=600,
            )
        uploaded = time.perf_counter()
        found = re.search(r"/donnees/imports/(\d+)/colonnes/", response.url)
        assert response.status_code == 200 and found, (response.status_code, response.url, response.text[-2000:])
        job = int(found.group(1))
        mapping = session.get(response.url, timeout=600)
        shown = time.perf_counter()
        chosen = {}  # the columns as guessed, as the person leaves them
        for name, options in re.findall(r'<select[^>]*name="(col-\d+)"[^>]*>(.*?)</select>', mapping.text, re.S):
            selected = re.search(r'<option value="([^"]*)" selected', options)
            if selected:
                chosen[name] = selected.group(1)
        assert chosen, mapping.text[-3000:]
        response = session.post(response.url, data={**chosen, "csrfmiddlewaretoken": token}, timeout=600)
        checked = time.perf_counter()
        assert response.status_code == 200 and response.url.endswith(f"/donnees/imports/{job}/"), response.url
        report = session.get(f"{base}/donnees/imports/{job}/", timeout=600)
        done = time.perf_counter()
        assert report.status_code == 200
        status, accepted, total = database.query(
            f"SELECT status, accepted_rows, total_rows FROM exchange_importjob WHERE id = {job}"
        )[0]
        assert status == "validated", status
        web_peaks = {pid: _hwm_mb(pid) for pid in _children(gunicorn.pid)}
        web_cpu = sum(_cpu_s(pid) for pid in workers) - cpu_before
        worker_cpu = _cpu_s(worker.pid)
        run_start = time.perf_counter()
        session.post(f"{base}/donnees/imports/{job}/lancer/", data={"csrfmiddlewaretoken": token}, timeout=600)
        while True:
            status, created = database.query(f"SELECT status, created_rows FROM exchange_importjob WHERE id = {job}")[0]
            if status in {"done", "failed"}:
                break
            time.sleep(0.2)
        ran = time.perf_counter()
        worker_peak = _hwm_mb(worker.pid)
        worker_cpu = _cpu_s(worker.pid) - worker_cpu
        return {
            "web_cpu": web_cpu,
            "worker_cpu": worker_cpu,
            "upload": uploaded - start,
            "mapping": shown - uploaded,
            "check": checked - shown,
            "report": done - checked,
            "to_report": done - start,
            "run": ran - run_start,
            "status": f"{status}: {accepted:,} accepted of {total:,}, {created:,} created",
            "web_idle": max(idle.values()),
            "web_peak": max(web_peaks.values()),
            "web_peaks": sorted(web_peaks.values(), reverse=True),
            "master_peak": _hwm_mb(gunicorn.pid),
            "worker_idle": idle_worker,
            "worker_peak": worker_peak,
        }
    finally:
        for process in (gunicorn, worker):
            process.terminate()
        for process in (gunicorn, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def measure(mode: str, path: Path, workspace: int, env: dict) -> tuple[float, float, str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", mode, "--path", str(path), "--workspace", str(workspace)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{mode} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    _, seconds, peak, detail = line.split(" ", 3)
    return float(seconds), float(peak), detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--xlsx-mb", type=float, default=18)
    parser.add_argument("--csv-mb", type=float, default=19.5)
    parser.add_argument(
        "--server", action="store_true", help="gunicorn and maillage worker, a real HTTP client (the target's figure)"
    )
    parser.add_argument("--all", action="store_true", help="with --server: the in-process measures too")
    parser.add_argument("--child", default="")
    parser.add_argument("--path", default="")
    parser.add_argument("--workspace", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path, args.workspace)
        return 0
    sys.path.insert(0, str(ROOT))
    from tests.exchange.processes import Database

    tmp = Path(tempfile.mkdtemp(prefix="bench-files-"))
    database = Database("postgresql" if args.db == "postgres" else "sqlite", tmp)
    database.env["PYTHONPATH"] = str(ROOT / "src")
    # As in production: with DEBUG, Django keeps every query's SQL, the file's 18 MB and the chunks included.
    database.env["DEBUG"] = "0"
    ok = True
    try:
        workspace = database.setup()
        files = []
        if args.xlsx_mb:
            rows = min(199_000, int(args.xlsx_mb * 1024 * 1024 / 168))  # ~168 bytes of XLSX per row (measured)
            size, sheet = write_xlsx(tmp / "large.xlsx", rows)
            print(
                f"XLSX: {size / 1024 / 1024:.1f} MB, {rows:,} rows of {len(HEADERS)} columns, sheet XML {sheet / 1024 / 1024:.0f} MB"
            )
            files.append((tmp / "large.xlsx", "openpyxl"))
        if args.csv_mb:
            rows = write_csv(tmp / "wide.csv", args.csv_mb)
            size = (tmp / "wide.csv").stat().st_size
            print(f"CSV: {size / 1024 / 1024:.1f} MB, {rows:,} rows of 120 columns")
            files.append((tmp / "wide.csv", "csv"))
        for path, baseline in files:
            print(f"\n{path.name}")
            base_s, base_mb, detail = measure(baseline, path, workspace, database.env)
            print(f"  baseline ({baseline} pass): {base_s:.1f} s, peak RSS {base_mb:.0f} MB ({detail})")
            if args.server:
                found = server(path, workspace, database)
                met = found["to_report"] < TARGET_S and max(found["web_peak"], found["worker_peak"]) < TARGET_RSS_MB
                ok = ok and met
                print(
                    f"  server: upload → report {found['to_report']:.1f} s ({found['to_report'] / base_s:.2f}× the "
                    f"baseline; upload {found['upload']:.1f}, mapping page {found['mapping']:.1f}, check "
                    f"{found['check']:.1f}, report {found['report']:.1f}; {found['web_cpu']:.1f} CPU s of the gunicorn "
                    f"workers); run (worker) {found['run']:.1f} s, {found['worker_cpu']:.1f} CPU s; "
                    f"{found['status']}\n"
                    f"  gunicorn worker peak RSS {found['web_peak']:.0f} MB ({found['web_peak'] / base_mb:.2f}×; "
                    f"idle {found['web_idle']:.0f} MB; every worker: "
                    f"{', '.join(f'{x:.0f}' for x in found['web_peaks'])}; master {found['master_peak']:.0f} MB)\n"
                    f"  maillage worker peak RSS {found['worker_peak']:.0f} MB ({found['worker_peak'] / base_mb:.2f}×;"
                    f" idle {found['worker_idle']:.0f} MB)"
                    f" — target < {TARGET_S} s and < {TARGET_RSS_MB} MB: {'met' if met else 'MISSED'}"
                )
                print(f"  load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            for mode in ("read", "cli", "web", "check", "run") if not args.server or args.all else ():
                seconds, peak, detail = measure(mode, path, workspace, database.env)
                target = ""
                if mode == "web":
                    met = seconds < TARGET_S and peak < TARGET_RSS_MB
                    ok = ok and met
                    target = f" — target < {TARGET_S} s and < {TARGET_RSS_MB} MB: {'met' if met else 'MISSED'}"
                print(
                    f"  {mode}: {seconds:.1f} s ({seconds / base_s:.2f}× the baseline), peak RSS {peak:.0f} MB "
                    f"({peak / base_mb:.2f}×){target}; {detail}"
                )
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        database.drop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
