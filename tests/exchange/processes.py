"""A real database in a file (SQLite) or a dedicated PostgreSQL database, driven by ``maillage`` subprocesses.

Used by the crash, concurrency and backup tests, and by scripts/crash_import.py for longer runs.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

MAILLAGE = str(Path(sys.executable).with_name("maillage"))
PG = "postgres://postgres@127.0.0.1:5432/"

SEED = r"""
import sys
from django.utils import timezone
from maillage.alliances.actions import create_alliance
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import User, Workspace
from maillage.organizations.models import Organization
from maillage.alliances.models import Alliance
n = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 10000
org = Organization.objects.filter(rna="W691000001").first() or create_organization(
    data={"kind": "association", "name": "Les Jardins de l'Essai", "rna": "W691000001", "commune": "69266"})
company = Organization.objects.filter(siren="732829320").first() or create_organization(
    data={"kind": "company", "name": "Menuiserie du Lac", "siren": "732829320", "commune": "74010"})
ws = Workspace.objects.filter(name="Crash").first() or Workspace.objects.create(
    name="Crash", organization=org, verified_at=timezone.now())
user = User.objects.filter(email="crash@test").first() or User.objects.create_user("crash@test", "x", full_name="C")
if not Alliance.objects.filter(name="Potager solidaire").exists():
    create_alliance(workspace=ws, user=user, name="Potager solidaire", forms=["mecenat_financier"],
                    partners=[(company, "funder", "")])
print(ws.pk)
"""


class Database:
    """A migrated database reachable by other processes; ``env`` points ``maillage`` at it."""

    def __init__(self, vendor: str, tmp: Path):
        self.vendor, self.tmp = vendor, tmp
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MAILLAGE_VAR_DIR"}}
        self.env["MAILLAGE_VAR_DIR"] = str(tmp / "var")
        self.name = ""
        if vendor == "postgresql":
            self.name = f"h_exchange_proc_{uuid.uuid4().hex[:8]}"
            psql(f'CREATE DATABASE "{self.name}"')
            self.env["DATABASE_URL"] = PG + self.name

    def run(self, *args, check=True, **kw) -> subprocess.CompletedProcess:
        result = subprocess.run([MAILLAGE, *args], env=self.env, capture_output=True, text=True, **kw)
        if check and result.returncode:
            raise AssertionError(f"maillage {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
        return result

    def popen(self, *args, **env) -> subprocess.Popen:
        return subprocess.Popen(
            [MAILLAGE, *args], env={**self.env, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def setup(self) -> int:
        self.run("migrate", "--no-input")
        script = self.tmp / "seed.py"
        script.write_text(SEED)
        return int(self.run("shell", "-c", f"exec(open({str(script)!r}).read())").stdout.strip().splitlines()[-1])

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(PG + self.name, autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        conn = sqlite3.connect(self.tmp / "var" / "maillage.sqlite3")
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def drop(self) -> None:
        if self.vendor == "postgresql" and self.name:
            psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)


def contributions_csv(path: Path, n: int) -> Path:
    lines = ["Alliance;Donateur;Bénéficiaire;Nature;Description;Montant;Statut;Reçue le"]
    lines += [
        f"Potager solidaire;732829320;Les Jardins de l'Essai;Don financier;Don n° {i};{100 + i % 900},50;reçue;"
        f"15/03/2024"
        for i in range(n)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def organizations_csv(path: Path, n: int) -> Path:
    """``n`` new organisations (distinct names, one commune), the kind of file issue 21 measured."""
    lines = ["Nom;Commune;Type"]
    lines += [f"Association de quartier n° {i};69123;association" for i in range(n)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def contacts_csv(path: Path, n: int) -> Path:
    """``n`` contacts of the seed's company (named by its SIREN and by its name, half each)."""
    lines = ["Organisation;Nom du contact;Fonction;E-mail"]
    lines += [
        f"{'732829320' if i % 2 else 'Menuiserie du Lac'};Contact n° {i};Mécénat;contact{i}@exemple.fr"
        for i in range(n)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def alliances_csv(path: Path, n: int) -> Path:
    """``n`` alliances of the seed's workspace with its company as funder."""
    lines = ["Nom de l'alliance;Formes;Partenaires"]
    lines += [f"Alliance n° {i};mécénat financier;732829320 (financeur)" for i in range(n)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def interactions_csv(path: Path, n: int) -> Path:
    """``n`` meetings of the seed's alliance."""
    lines = ["Alliance;Type d'échange;Date;Durée (minutes);Objet"]
    lines += [f"Potager solidaire;Réunion;{1 + i % 28:02d}/03/2024;{30 + i % 60};Réunion n° {i}" for i in range(n)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def gifts_csv(path: Path, n: int, donors: int = 500) -> Path:
    """``n`` individual gifts (a HelloAsso-like reference each) from ``donors`` people, each giving several times
    across the batches: a donor is never created twice."""
    lines = ["Référence;Nom du donateur;Prénom;E-mail;Adresse;Code postal;Ville;Montant (€);Date du don"]
    lines += [
        f"HA-{i};Martin {i % donors};Claire;claire{i % donors}@exemple.fr;{i % donors} rue des Lilas;69001;Lyon;"
        f"{20 + i % 80},00;{1 + i % 28:02d}/02/2024"
        for i in range(n)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
