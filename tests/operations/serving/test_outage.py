"""Outage drill: PostgreSQL stops while the production server runs → French 503 pages and JSON 503 from the API,
never a 500; PostgreSQL starts again → pages answer 200 with no restart of Maillage.

The cluster is the test's own (another port, a temporary folder): the shared PostgreSQL is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from tests.operations.serving.conftest import Browser, base_env, free_port, maillage, production_env, production_server
from tests.operations.serving.postgres_cluster import Cluster


@pytest.fixture
def cluster():
    # Not under pytest's tmp_path: its parents are private to root, and the cluster runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="maillage-pg-drill-"))
    try:
        cluster = Cluster(folder, free_port())
        cluster.init()
        cluster.start()
        yield cluster
        if cluster.running():
            cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_stopped_then_started_gives_503_then_200_without_restart(cluster, static_root, tmp_path):
    database_url = cluster.createdb("maillage")
    maillage("migrate", "--noinput", env=base_env(DATABASE_URL=database_url, MAILLAGE_VAR_DIR=str(tmp_path)))
    env = production_env(DATABASE_URL=database_url, MAILLAGE_VAR_DIR=str(tmp_path), STATIC_ROOT=str(static_root))
    with production_server(env) as (base, output):
        browser = Browser(base, timeout=30)
        api_headers = {"Authorization": "Bearer inconnu"}
        assert browser.get("/").status == 200
        assert browser.get("/api/v1/organizations", headers=api_headers).status == 401

        # Requests keep coming, from another client, while the database goes down and comes back.
        statuses: list[int] = []
        done = threading.Event()

        def visitor():
            other = Browser(base, timeout=30)
            for _ in range(2000):  # bounded; stops as soon as the drill is over
                if done.is_set():
                    break
                statuses.append(other.get("/").status)

        thread = threading.Thread(target=visitor)
        thread.start()
        try:
            cluster.stop()
            page = browser.get("/")
            assert page.status == 503, page.text
            assert "Service momentanément indisponible" in page.text and page.headers["Retry-After"] == "30"
            api = browser.get("/api/v1/organizations", headers=api_headers)
            assert api.status == 503 and "indisponible" in api.text
            assert api.headers["Content-Type"] == "application/json"

            cluster.start()
            assert browser.get("/").status == 200
            assert browser.get("/api/v1/organizations", headers=api_headers).status == 401
        finally:
            done.set()
            thread.join(timeout=60)
        assert statuses and set(statuses) <= {200, 503}, f"réponses pendant la panne : {sorted(set(statuses))}"
        assert not any("Traceback" in line for line in output), "".join(output)
