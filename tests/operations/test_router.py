"""The replica router's rule, without replicas (the drill runs it against a real one).

``usable`` is replaced so that a named replica alias counts as up; nothing connects to it.
"""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from maillage.alliances.models import Alliance
from maillage.core import db_router
from maillage.observatory.models import RefreshRun
from maillage.organizations.models import Organization
from maillage.workspaces.models import Membership

REPLICA = "replica_1"


@pytest.fixture
def replica(settings, monkeypatch):
    settings.REPLICA_ALIASES = [REPLICA]
    settings.REPLICA_PIN_SECONDS = 5
    monkeypatch.setattr(db_router, "usable", lambda alias: True)
    db_router._down_until.clear()
    return db_router.ReplicaRouter()


def through_middleware(request, look):
    """Run ``look()`` as the view of ``request``, behind the middleware; returns (its answer, the response)."""
    seen = {}

    def view(request):
        seen["answer"] = look()
        return HttpResponse("ok")

    middleware = db_router.ReplicaMiddleware(view)

    def get_response(req):
        match = resolve(req.path_info)
        req.resolver_match = match
        middleware.process_view(req, match.func, match.args, match.kwargs)
        return view(req)

    middleware.get_response = get_response
    response = middleware(request)
    return seen["answer"], response


def reads(router):
    return {m.__name__: router.db_for_read(m) for m in (Organization, RefreshRun, Alliance, Membership)}


def test_outside_a_request_everything_reads_the_primary(replica):
    assert set(reads(replica).values()) == {"default"}
    assert replica.db_for_write(Organization) == "default"


def test_a_get_reads_the_lag_tolerant_apps_on_the_replica(replica):
    answer, _ = through_middleware(RequestFactory().get("/annuaire/"), lambda: reads(replica))
    assert answer == {"Organization": REPLICA, "RefreshRun": REPLICA, "Alliance": "default", "Membership": "default"}


def test_a_list_page_reads_all_but_the_security_apps_on_the_replica(replica):
    answer, _ = through_middleware(RequestFactory().get("/alliances/"), lambda: reads(replica))
    assert answer == {"Organization": REPLICA, "RefreshRun": REPLICA, "Alliance": REPLICA, "Membership": "default"}


def test_a_post_reads_the_primary_and_pins_the_client(replica):
    answer, response = through_middleware(RequestFactory().post("/annuaire/nouvelle/"), lambda: reads(replica))
    assert set(answer.values()) == {"default"}
    cookie = response.cookies[db_router.PIN_COOKIE]
    assert cookie["max-age"] == 5 and cookie["httponly"]


def test_a_pinned_browser_reads_the_primary(replica):
    request = RequestFactory().get("/alliances/")
    request.COOKIES[db_router.PIN_COOKIE] = "1"
    answer, _ = through_middleware(request, lambda: reads(replica))
    assert set(answer.values()) == {"default"}


def test_an_api_token_that_wrote_is_pinned_through_the_shared_cache(replica):
    token = {"Authorization": "Bearer mlg_secret"}
    other = {"Authorization": "Bearer mlg_other"}
    through_middleware(RequestFactory().post("/annuaire/nouvelle/", headers=token), lambda: None)
    pinned, _ = through_middleware(RequestFactory().get("/annuaire/", headers=token), lambda: reads(replica))
    free, _ = through_middleware(RequestFactory().get("/annuaire/", headers=other), lambda: reads(replica))
    assert pinned["Organization"] == "default"
    assert free["Organization"] == REPLICA


def test_a_request_that_wrote_reads_the_primary_from_then_on(replica):
    def write_then_read():
        before = replica.db_for_read(Organization)
        wrapper = connections["default"].execute_wrappers[-1]
        wrapper(lambda *args: None, "UPDATE organizations_organization SET name = name", (), False, {})
        return before, replica.db_for_read(Organization)

    (before, after), _ = through_middleware(RequestFactory().get("/annuaire/"), write_then_read)
    assert (before, after) == (REPLICA, "default")


def test_a_replica_found_down_is_left_alone_then_tried_again(settings, monkeypatch):
    settings.REPLICA_ALIASES = [REPLICA]
    settings.REPLICA_RETRY_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(db_router.time, "monotonic", lambda: now[0])
    db_router._down_until.clear()
    tried = []

    class Down:
        connection = None

        def close_if_health_check_failed(self):
            pass

        def ensure_connection(self):
            tried.append(now[0])
            raise OSError("connection refused")

        def close(self):
            pass

    monkeypatch.setattr(db_router, "connections", {REPLICA: Down(), "default": connections["default"]})
    assert db_router.pick_replica() == "default"
    assert db_router.pick_replica() == "default"  # remembered: not tried again at once
    now[0] += 6
    assert db_router.pick_replica() == "default"
    assert tried == [1000.0, 1006.0]
    db_router._down_until.clear()


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary(replica):
    # (The test itself runs in a transaction, as select_for_update must.)
    def look():
        with transaction.atomic():
            return replica.db_for_read(Organization)

    answer, _ = through_middleware(RequestFactory().get("/annuaire/"), look)
    assert answer == "default"


def test_without_replicas_the_router_is_inert(settings):
    if settings.DATABASE_REPLICA_URLS:
        pytest.skip("la suite tourne ici avec des réplicas (DATABASE_REPLICA_URLS)")
    assert list(settings.DATABASES) == ["default"]
    assert settings.DATABASE_ROUTERS == []
    assert "maillage.core.db_router.ReplicaMiddleware" not in settings.MIDDLEWARE


def settings_with(**env) -> dict:
    """The settings module read in a fresh interpreter with these environment variables."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, maillage.settings as s; print(json.dumps({'databases': s.DATABASES, "
        "'routers': s.DATABASE_ROUTERS, 'middleware': s.MIDDLEWARE, 'caches': s.CACHES, 'storages': s.STORAGES}, "
        "default=str))"
    )
    full = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URLS", "CACHE_URL"}}
    result = subprocess.run([sys.executable, "-c", code], env={**full, **env}, capture_output=True, text=True)
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout)


def test_replica_urls_become_mirrored_aliases_with_a_short_connect_timeout():
    found = settings_with(
        DATABASE_URL="postgres://app@primary:5432/maillage",
        DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/maillage, postgres://app@replica-b:5432/maillage",
    )
    databases = found["databases"]
    assert list(databases) == ["default", "replica_1", "replica_2"]
    assert databases["replica_2"]["HOST"] == "replica-b"
    assert databases["replica_1"]["TEST"] == {"MIRROR": "default"}
    assert databases["replica_1"]["OPTIONS"]["connect_timeout"] == 2
    assert databases["replica_1"]["CONN_HEALTH_CHECKS"] is True
    assert found["routers"] == ["maillage.core.db_router.ReplicaRouter"]
    assert found["middleware"][-1] == "maillage.core.db_router.ReplicaMiddleware"


def test_replicas_of_a_sqlite_database_are_refused_in_french():
    found = settings_with(DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/maillage")
    assert "DATABASE_REPLICA_URLS demande une base principale PostgreSQL" in found["error"]


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("redis://127.0.0.1:6379/7", "django.core.cache.backends.redis.RedisCache"),
        ("db://maillage_cache", "django.core.cache.backends.db.DatabaseCache"),
        ("", "django.core.cache.backends.locmem.LocMemCache"),
    ],
)
def test_cache_url(url, backend):
    assert settings_with(CACHE_URL=url)["caches"]["default"]["BACKEND"] == backend


def test_a_production_without_cache_url_shares_the_database_cache_not_a_process_memory():
    found = settings_with(MAILLAGE_ENV="production", SECRET_KEY="x" * 60, ALLOWED_HOSTS="maillage.example.org")
    assert found["caches"]["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "maillage_cache",
    }


def test_an_unknown_cache_url_is_refused_in_french():
    assert "CACHE_URL 'memcached://x' non reconnue" in settings_with(CACHE_URL="memcached://x")["error"]


def test_an_s3_bucket_puts_the_uploaded_files_in_the_object_store():
    from storages.backends.s3 import S3Storage

    found = settings_with(
        STORAGE_S3_BUCKET="maillage-fichiers",
        STORAGE_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        STORAGE_S3_ACCESS_KEY_ID="cle",
        STORAGE_S3_SECRET_ACCESS_KEY="secret",
        STORAGE_S3_ADDRESSING_STYLE="path",
    )["storages"]["default"]
    assert found["BACKEND"] == "storages.backends.s3.S3Storage"
    storage = S3Storage(**found["OPTIONS"])  # django-storages refuses an option it does not know
    assert (storage.bucket_name, storage.endpoint_url, storage.file_overwrite) == (
        "maillage-fichiers",
        "http://127.0.0.1:9000",
        False,
    )
    assert storage.default_acl is None and storage.querystring_auth is True


def test_the_local_disk_is_the_default_storage():
    assert settings_with()["storages"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.mark.django_db
def test_migrate_creates_the_database_cache_table_which_every_process_then_shares(settings):
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_cache"}}
    assert "t_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)  # nothing to migrate; post_migrate → createcachetable
    assert "t_cache" in connection.introspection.table_names()
    caches["default"].set("pin", 1, 5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t_cache")
        assert cursor.fetchone()[0] == 1  # in the database, not in this process's memory
