"""Load benchmark: 50 users on loopback against runserver and against the production server (gunicorn).

Issue 17: "a mix of reads (dashboard, board, directory search, public observatory) and writes (interactions,
contributions), 50 users, bounded to a few minutes, against runserver and against the production server, on
SQLite and on PostgreSQL: throughput, p50/p95, errors (must be 0), and the ratio of throughput to the trivial
page's in the same run. The production server must use both cores: at least 1.8x runserver's throughput on the
same mix in the same run, and at least 80 % of the requests per second that the measured CPU time per request
allows on 2 cores. 50 simultaneous logins: median under 1 s."

    .venv/bin/pip install -e '.[bench]'                      # locust
    .venv/bin/python bench/load.py --db sqlite               # a temporary SQLite file
    .venv/bin/python bench/load.py --db postgres             # database maillage_load on 127.0.0.1:5432, dropped after
    .venv/bin/python bench/load.py --database-url postgres://…/empty_db [--replica-url postgres://…]

For each server, in one run: the trivial page (``/sante/``) with the same users, then the mix, then 50 logins
released at the same instant. The CPU time of the server's processes is read (psutil) over the mix: the requests
per second that CPU time allows on the machine's cores is the ceiling the production server is compared with.
Everything is on 127.0.0.1 and stops by itself; see bench/README.md for the method and the figures.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import gevent
import gevent.event
import psutil
from locust import FastHttpUser, constant, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "jardins-partages-2026"
DIRECTORY_WORDS = ["association", "jardins", "imprimerie", "lyon", "club", "commune", "solidarite", "culture"]

SETUP = r"""
import json
from django.db.models import Count
from django.utils import timezone
from maillage.alliances.models import Alliance
from maillage.core.roles import Role
from maillage.workspaces.actions import create_api_token
from maillage.workspaces.models import Membership, User

count, password = %(count)d, %(password)r
workspace = Membership.objects.filter(user__email="demo@maillage.test").first().workspace
accounts = []
for i in range(count):
    user = User.objects.create_user(f"charge{i}@maillage.test", password, full_name=f"Chargée {i}",
                                    email_verified_at=timezone.now())
    Membership.objects.create(workspace=workspace, user=user, role=Role.MEMBER)
    _, raw = create_api_token(user=user, workspace=workspace, name="charge")
    accounts.append({"email": user.email, "token": raw})
alliance = (Alliance.objects.visible_to(workspace).annotate(n=Count("parties")).filter(n__gte=2).order_by("pk").first())
parties = list(alliance.parties.order_by("pk"))
mine = next(p for p in parties if p.workspace_id == workspace.pk)
other = next(p for p in parties if p.pk != mine.pk)
print("SETUP " + json.dumps({"accounts": accounts, "alliance": alliance.pk, "mine": mine.pk, "other": other.pk}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def maillage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "maillage.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"maillage {args[0]} a échoué :\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


# --- the users ----------------------------------------------------------------------------------------------------
class Plan:
    """What the users share: the server's scheme, the accounts and the alliance they write to."""

    scheme = "http"
    accounts: list[dict] = []
    alliance = mine = other = 0
    next_account = 0

    @classmethod
    def account(cls) -> dict:
        account = cls.accounts[cls.next_account % len(cls.accounts)]
        cls.next_account += 1
        return account


class Visitor(FastHttpUser):
    """The trivial page: the whole middleware stack, one tiny JSON answer, no query."""

    wait_time = constant(0)
    default_headers = {"X-Forwarded-Proto": "https"}

    @task
    def health(self):
        self.client.get("/sante/", name="trivial /sante/")


def login(client, email: str, host: str) -> None:
    page = client.get("/compte/connexion/", name="login form")
    token = html.unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1))
    origin = f"{Plan.scheme}://{host}"
    client.post(
        "/compte/connexion/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD},
        headers={"Origin": origin, "Referer": origin + "/compte/connexion/"},
        name="login",
        allow_redirects=False,
    )


class Member(FastHttpUser):
    """A member of the demo workspace: mostly reads, a write in seven requests (pages with its session, writes
    through the API with its token)."""

    wait_time = constant(0)
    default_headers = {"X-Forwarded-Proto": "https"}

    def on_start(self):
        self.account = Plan.account()
        login(self.client, self.account["email"], self.host.split("//", 1)[1])
        self.api = {"Authorization": f"Bearer {self.account['token']}", "Content-Type": "application/json"}

    @task(4)
    def dashboard(self):
        self.client.get("/tableau-de-bord/", name="dashboard")

    @task(3)
    def board(self):
        self.client.get("/alliances/tableau/", name="board")

    @task(3)
    def directory(self):
        self.client.get(f"/annuaire/?q={random.choice(DIRECTORY_WORDS)}", name="directory search")

    @task(2)
    def observatory(self):
        self.client.get("/observatoire/", name="public observatory")

    @task(1)
    def interaction(self):
        payload = {"kind": "meeting", "occurred_on": date.today().isoformat(), "duration_minutes": 45}
        payload["subject"] = "Point d'étape"
        self.client.post(
            f"/api/v1/alliances/{Plan.alliance}/interactions", data=json.dumps(payload), headers=self.api,
            name="write interaction (API)",
        )  # fmt: skip

    @task(1)
    def contribution(self):
        payload = {
            "giver_party_id": Plan.other,
            "receiver_party_id": Plan.mine,
            "kind": "money",
            "description": "Don pour l'atelier",
            "value": "150.00",
        }
        self.client.post(
            f"/api/v1/alliances/{Plan.alliance}/contributions", data=json.dumps(payload), headers=self.api,
            name="write contribution (API)",
        )  # fmt: skip


# --- measuring ----------------------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its live children and its children already reaped (a gunicorn
    worker replaced after ``WEB_MAX_REQUESTS`` keeps counting through its master's ``children_*`` times)."""
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for process in children:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def run_phase(user_class, base: str, users: int, seconds: float, server_pid: int, warmup: float) -> dict:
    environment = Environment(user_classes=[user_class], host=base)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup)  # every user spawned and signed in
    environment.stats.reset_all()
    cpu_server, cpu_self, started = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    gevent.sleep(seconds)
    elapsed = time.perf_counter() - started
    cpu_server, cpu_self = cpu_seconds(server_pid) - cpu_server, time.process_time() - cpu_self
    total = environment.stats.total
    result = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.num_requests / elapsed,
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "server_cpu_s": cpu_server,
        "client_cpu_s": cpu_self,
        "seconds": elapsed,
        "by_name": {
            name: (
                entry.num_requests,
                entry.num_failures,
                entry.get_response_time_percentile(0.5),
                entry.get_response_time_percentile(0.95),
            )
            for (name, _method), entry in environment.stats.entries.items()
        },  # fmt: skip
        "errors": [
            f"{error.method} {error.name}: {error.error} ×{error.occurrences}"
            for error in environment.stats.errors.values()
        ],  # fmt: skip
    }
    runner.quit()
    return result


def simultaneous_logins(base: str, count: int, server_pid: int) -> dict:
    """``count`` people sign in at the same instant (the form fetched before, then every POST released at once)."""
    host, port = base.split("//", 1)[1].split(":")
    release = gevent.event.Event()
    durations: list[float] = []
    failures: list[str] = []
    ready: list[dict] = []

    def one(account: dict):
        cookies = {}

        def request(method, path, body=None, headers=None):
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
            sent = {"X-Forwarded-Proto": "https", **(headers or {})}
            if cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
            connection.close()
            return response.status, text

        status, text = request("GET", "/compte/connexion/")
        token = html.unescape(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1))
        origin = f"{Plan.scheme}://{host}:{port}"
        body = f"csrfmiddlewaretoken={token}&username={account['email']}&password={PASSWORD}"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + "/"}
        ready.append(account)
        release.wait()
        started = time.perf_counter()
        try:
            status, text = request("POST", "/compte/connexion/", body, headers)
        except OSError as exc:  # runserver's listen queue holds 10 connections: the others are reset
            status, text = 0, f"{type(exc).__name__}: {exc}"
        durations.append(time.perf_counter() - started)
        if status != 302:
            failures.append(f"{status}: {text[:200]!r}")

    greenlets = [gevent.spawn(one, Plan.accounts[i % len(Plan.accounts)]) for i in range(count)]
    deadline = time.monotonic() + 120
    while len(ready) < count and time.monotonic() < deadline and not all(g.dead for g in greenlets):
        gevent.sleep(0.05)  # until every form is fetched (bounded)
    cpu_before = cpu_seconds(server_pid)
    release.set()
    gevent.joinall(greenlets, timeout=300)
    cpu_per_login = (cpu_seconds(server_pid) - cpu_before) / count
    durations.sort()
    return {
        "count": count,
        "cpu_per_login_ms": cpu_per_login * 1000,
        "median_s": statistics.median(durations) if durations else float("nan"),
        "p95_s": durations[int(0.95 * (len(durations) - 1))] if durations else float("nan"),
        "max_s": durations[-1] if durations else float("nan"),
        "failures": failures + [f"non terminée ({count - len(durations)})"] * (len(durations) < count),
    }


class Server:
    def __init__(self, kind: str, env: dict):
        self.kind = kind
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        server_env = dict(env)
        if kind == "gunicorn":
            server_env.update(
                MAILLAGE_ENV="production", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="127.0.0.1",
                WEB_ACCESS_LOG=""
            )  # fmt: skip
        else:
            server_env.update(MAILLAGE_ENV="development", DEBUG="false")
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen(
            [sys.executable, "-m", "maillage.cli", "serve", f"127.0.0.1:{self.port}"],
            env=server_env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                sys.exit(f"le serveur {kind} s'est arrêté :\n{self.log.read()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/sante/", headers={"X-Forwarded-Proto": "https"})
                if connection.getresponse().status == 200:
                    break
            except OSError:
                gevent.sleep(0.5)
        else:
            sys.exit(f"le serveur {kind} n'a pas répondu en 300 s")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def print_phase(label: str, phase: dict) -> None:
    print(
        f"  {label:<10} {phase['rps']:8.1f} req/s  p50 {phase['p50_ms']:6.0f} ms  p95 {phase['p95_ms']:6.0f} ms  "
        f"{phase['requests']:6d} requêtes, {phase['failures']} erreur(s); CPU serveur {phase['server_cpu_s']:.1f} s, "
        f"client {phase['client_cpu_s']:.1f} s en {phase['seconds']:.0f} s"
    )
    for error in phase["errors"]:
        print(f"    ERREUR {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="an EMPTY database to use (kept); default: a temporary one")
    parser.add_argument("--replica-url", action="append", default=[], help="read replica (DATABASE_REPLICA_URLS)")
    parser.add_argument(
        "--with-replica",
        action="store_true",
        help="PostgreSQL on a throw-away primary and its streaming replica (tests/operations/clusters.py), removed after",
    )
    parser.add_argument("--servers", default="runserver,gunicorn")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mix, per server (default 60)")
    parser.add_argument("--trivial-duration", type=float, default=15)
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")]))
    workdir = Path(tempfile.mkdtemp(prefix="maillage-load-"))
    env.update(MAILLAGE_VAR_DIR=str(workdir), STATIC_ROOT=str(workdir / "static"), LOG_LEVEL="ERROR")
    created_db = None
    pair = None
    if args.with_replica:
        sys.path.insert(0, str(ROOT))
        from tests.operations.clusters import Pair, missing

        if missing():
            raise SystemExit(f"--with-replica : {missing()}")
        pair = Pair()
        pair.create()
        args.database_url, args.replica_url = pair.primary.url, [pair.replica.url]
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    elif args.db == "postgres":
        import psycopg

        created_db = "maillage_load"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {created_db} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {created_db}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{created_db}"
    if args.replica_url:
        env["DATABASE_REPLICA_URLS"] = ",".join(args.replica_url)
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    database += f" + {len(args.replica_url)} réplique(s)" if args.replica_url else ""

    print(f"Préparation ({database}) : migrate, demo, {args.users} comptes membres de l'espace de démonstration…")
    started = time.perf_counter()
    maillage("migrate", "--noinput", env=env)
    # The production server caches in the database (CACHE_URL's default there): its table, as `migrate` makes it
    # when run with the production settings, as docs/operations.md says.
    maillage("createcachetable", env={**env, "CACHE_URL": "db://maillage_cache"})
    maillage("demo", env=env)
    output = maillage("shell", "-c", SETUP % {"count": args.users, "password": PASSWORD}, env=env)
    plan = json.loads(output.split("SETUP ", 1)[1])
    Plan.accounts, Plan.alliance, Plan.mine, Plan.other = (
        plan["accounts"],
        plan["alliance"],
        plan["mine"],
        plan["other"],
    )
    print(f"  prêt en {time.perf_counter() - started:.0f} s")

    figures: dict = {"database": database, "cores": cores, "users": args.users, "servers": {}}
    try:
        for kind in args.servers.split(","):
            Plan.scheme = "https" if kind == "gunicorn" else "http"
            print(f"\n{kind} ({database}, {args.users} utilisateurs, {cores} cœurs)")
            server = Server(kind, env)
            try:
                trivial = run_phase(Visitor, server.base, args.users, args.trivial_duration, server.process.pid, 2)
                print_phase("trivial", trivial)
                mix = run_phase(Member, server.base, args.users, args.duration, server.process.pid, 8)
                print_phase("mélange", mix)
                for name, (count, failures, p50, p95) in sorted(mix["by_name"].items()):
                    print(f"    {name:<28} {count:6d}  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  erreurs {failures}")
                logins = simultaneous_logins(server.base, args.logins, server.process.pid)
                print(
                    f"  {args.logins} connexions simultanées : médiane {logins['median_s']:.2f} s, p95 "
                    f"{logins['p95_s']:.2f} s, max {logins['max_s']:.2f} s, erreurs {len(logins['failures'])} ; CPU "
                    f"serveur par connexion {logins['cpu_per_login_ms']:.0f} ms (médiane attendue sur {cores} cœurs "
                    f"libres ≈ {args.logins * logins['cpu_per_login_ms'] / 1000 / cores / 2:.2f} s)"
                    + "".join(f"\n    ERREUR {failure}" for failure in logins["failures"][:5])
                )
            finally:
                server.stop()
            cpu_per_request = mix["server_cpu_s"] / mix["requests"] if mix["requests"] else float("nan")
            ceiling = cores / cpu_per_request if mix["requests"] else float("nan")
            client_cores = mix["client_cpu_s"] / mix["seconds"]
            ceiling_left = (cores - client_cores) / cpu_per_request if mix["requests"] else float("nan")
            print(
                f"  mélange / page triviale : {mix['rps'] / trivial['rps']:.2f} ; CPU serveur par requête "
                f"{cpu_per_request * 1000:.1f} ms → plafond {ceiling:.0f} req/s sur {cores} cœurs, atteint à "
                f"{mix['rps'] / ceiling:.0%} ({mix['rps'] / ceiling_left:.0%} des {cores - client_cores:.2f} cœurs "
                f"que le client locust laisse)"
            )
            figures["servers"][kind] = {"trivial": trivial, "mix": mix, "logins": logins,
                                        "cpu_per_request_ms": cpu_per_request * 1000, "ceiling_rps": ceiling,
                                        "ceiling_left_by_client_rps": ceiling_left}  # fmt: skip
    finally:
        if created_db:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {created_db} WITH (FORCE)")
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
        if pair is not None:
            pair.close()

    servers = figures["servers"]
    print(f"\nBilan ({database}) — à mesurer sur une machine au repos : ces chiffres dépendent de la charge voisine.")
    for kind, result in servers.items():
        errors = result["mix"]["failures"] + result["trivial"]["failures"] + len(result["logins"]["failures"])
        print(f"  erreurs ({kind}) : {errors} (objectif 0 ; runserver refuse au-delà de 10 connexions en attente)")
    if "gunicorn" in servers and "runserver" in servers:
        ratio = servers["gunicorn"]["mix"]["rps"] / servers["runserver"]["mix"]["rps"]
        print(f"  gunicorn / runserver sur le mélange : {ratio:.2f}× (objectif ≥ 1,8×)")
        figures["gunicorn_over_runserver"] = ratio
    if "gunicorn" in servers:
        g = servers["gunicorn"]
        share = g["mix"]["rps"] / g["ceiling_rps"]
        print(
            f"  gunicorn / ce que son CPU par requête permet sur {cores} cœurs : {share:.0%} (objectif ≥ 80 %) ; "
            f"{g['mix']['rps'] / g['ceiling_left_by_client_rps']:.0%} des cœurs que laisse le client locust, qui a "
            f"pris {g['mix']['client_cpu_s'] / g['mix']['seconds']:.2f} cœur"
        )
        print(
            f"  {args.logins} connexions simultanées (gunicorn) : médiane {g['logins']['median_s']:.2f} s (objectif < 1 s)"
        )
        figures["gunicorn_share_of_cpu_ceiling"] = share
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
