"""gunicorn's configuration for Maillage, read by ``maillage serve`` in production (or ``gunicorn -c``).

Every value comes from an environment variable with a default sized on the machine's cores:

| variable | gunicorn setting | default |
|---|---|---|
| ``WEB_CONCURRENCY`` | ``workers`` (processes) | 2 × cores (4 on 2 cores) |
| ``WEB_THREADS`` | ``threads`` per process (``gthread`` worker) | 2 |
| ``WEB_TIMEOUT`` | ``timeout``: a request running longer is killed and its worker restarted | 60 s |
| ``WEB_MAX_REQUESTS`` | ``max_requests``: a worker is replaced after that many requests (0: never) | 2000 (± 10 %) |
| ``FORWARDED_ALLOW_IPS`` | addresses whose ``X-Forwarded-*`` headers are trusted (the reverse proxy) | 127.0.0.1,::1 |
| ``WEB_ACCESS_LOG`` | ``accesslog`` (``-``: standard output, empty: none) | ``-`` |

Python runs one thread of Python code at a time per process, so the processes are what use the cores: two per
core keep both busy while the other waits for the database; the threads cover slow clients and I/O.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} doit être un nombre entier, pas {value!r}.") from None
    if number < 0:
        raise SystemExit(f"{name} doit être positif, pas {value!r}.")
    return number


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = max(1, _int("WEB_CONCURRENCY", 2 * cores()))
threads = max(1, _int("WEB_THREADS", 2))
worker_class = "gthread"
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
max_requests = _int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
proc_name = "maillage"
wsgi_app = "maillage.wsgi:application"
# gunicorn 24+ opens a control socket in the home directory by default; Maillage does not use it, and a service
# account's home may be read-only.
control_socket_disable = True

SETTINGS = (
    "bind",
    "workers",
    "threads",
    "worker_class",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "max_requests",
    "max_requests_jitter",
    "forwarded_allow_ips",
    "accesslog",
    "errorlog",
    "loglevel",
    "proc_name",
    "control_socket_disable",
)


def options(**overrides) -> dict:
    """This module's settings as a dict, with ``overrides`` (those not ``None``) on top."""
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    values = {name: globals()[name] for name in SETTINGS if name in known}
    values.update({name: value for name, value in overrides.items() if value is not None})
    return values
