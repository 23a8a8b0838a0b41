"""Read replicas: which reads may go to a PostgreSQL streaming replica, and read-your-writes (decision 0010).

Installed only when ``DATABASE_REPLICA_URLS`` names replicas (settings ``REPLICA_ALIASES``); without them Django
sends every query to ``default`` and nothing here runs.

The rule, in order:

1. every write goes to the primary (``default``), and so does every read outside a web request (commands,
   workers: they read then write, and must see what they read on the primary);
2. inside a request, reads go to the primary when the request is not a GET/HEAD, when the client wrote less than
   ``REPLICA_PIN_SECONDS`` ago (a cookie for browsers, the shared cache for API tokens), once the request itself
   wrote anything, and inside a transaction (``atomic``, hence every ``select_for_update``);
3. otherwise a read goes to a replica when its model belongs to an app whose reads tolerate a few seconds of
   lag (``LAG_TOLERANT_APPS``: the directory, the territories, the observatory), or when the page is a list
   (``REPLICA_READ_VIEWS``) and the model is not one that security decisions read (``PRIMARY_ONLY_APPS``:
   accounts, memberships, tokens, sessions, lockouts, audit);
4. a replica that does not answer (connection refused, ``REPLICA_CONNECT_TIMEOUT``) is left alone for
   ``REPLICA_RETRY_SECONDS`` by this process, and its reads go to the primary: no error is shown.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Reads of these apps tolerate a few seconds of lag on every page (public or shared, written rarely).
LAG_TOLERANT_APPS = frozenset({"territories", "organizations", "observatory"})
# Reads that decide who may do what: always the primary (a revoked member loses access at the next request).
PRIMARY_ONLY_APPS = frozenset({"auth", "contenttypes", "sessions", "workspaces", "axes", "audit"})

PRIMARY_ONLY = 0  # outside requests, unsafe requests, pinned clients, after a write
TOLERANT_MODELS = 1  # a GET: the apps of LAG_TOLERANT_APPS
LIST_PAGE = 2  # a GET of a list page: every app but PRIMARY_ONLY_APPS

PIN_COOKIE = "maillage_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_mode: ContextVar[int] = ContextVar("maillage_replica_mode", default=PRIMARY_ONLY)
_down_until: dict[str, float] = {}  # alias → monotonic time until which this process leaves it alone


def replica_aliases() -> list[str]:
    return list(getattr(settings, "REPLICA_ALIASES", ()))


def mark_down(alias: str) -> None:
    _down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    try:
        connections[alias].close()
    except Exception:  # noqa: BLE001 (the connection is broken already; closing is a courtesy)
        logger.debug("closing the broken connection to %s failed", alias, exc_info=True)


def usable(alias: str) -> bool:
    """Whether the replica answers; checked once per request per connection, a failure remembered a few seconds."""
    if _down_until.get(alias, 0.0) > time.monotonic():
        return False
    conn = connections[alias]
    try:
        conn.close_if_health_check_failed()  # a persistent connection to a stopped server is closed here
        if conn.connection is None:
            conn.ensure_connection()  # bounded by REPLICA_CONNECT_TIMEOUT
    except Exception:  # noqa: BLE001 (any failure to reach the replica means: read the primary)
        logger.warning(
            "réplica %s injoignable : lectures sur la base principale pendant %s s",
            alias,
            settings.REPLICA_RETRY_SECONDS,
        )
        mark_down(alias)
        return False
    return True


def pick_replica() -> str:
    aliases = replica_aliases()
    random.shuffle(aliases)  # spread the reads; every process chooses for itself
    for alias in aliases:
        if usable(alias):
            return alias
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        mode = _mode.get()
        if mode == PRIMARY_ONLY or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return str(instance._state.db)  # related rows from where their object came: one snapshot per page
        app = model._meta.app_label
        if app in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if app in LAG_TOLERANT_APPS or mode == LIST_PAGE:
            return pick_replica()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        same_data = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary's WAL


def _token_pin_key(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    return "replica-pin:" + hashlib.sha256(header.encode()).hexdigest()


def _is_write(sql: str) -> bool:
    head = sql.lstrip()[:8].upper()
    return not (head.startswith("SELECT") or head.startswith("SHOW") or head.startswith("SET "))


class ReplicaMiddleware:
    """Decides, per request, whether reads may use a replica; pins a client that wrote to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.core.cache import cache

        token_key = _token_pin_key(request)
        pinned = PIN_COOKIE in request.COOKIES or (token_key is not None and cache.get(token_key) is not None)
        safe = request.method in SAFE_METHODS
        reset = _mode.set(TOLERANT_MODELS if safe and not pinned else PRIMARY_ONLY)

        def switch_to_primary_after_a_write(
            execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
        ) -> Any:
            if _mode.get() != PRIMARY_ONLY and _is_write(sql):
                _mode.set(PRIMARY_ONLY)  # what this request wrote, it reads back from the primary
            return execute(sql, params, many, context)

        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(switch_to_primary_after_a_write):
                response = self.get_response(request)
        finally:
            _mode.reset(reset)
        if not safe:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            if token_key is not None:
                cache.set(token_key, 1, timeout=seconds)
        return response

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:

        match = request.resolver_match
        if _mode.get() == TOLERANT_MODELS and match is not None and match.view_name in settings.REPLICA_READ_VIEWS:
            _mode.set(LIST_PAGE)
        return None


def current_mode() -> int:
    return _mode.get()
