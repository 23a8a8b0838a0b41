"""One settings module, driven by environment variables only.

Safe defaults for a local run (DEBUG on, SQLite in ``var/``, e-mails printed to the console). With
``MAILLAGE_ENV=production`` the unsafe defaults are refused: a secret key and allowed hosts are required,
cookies are secure and HSTS is on, so that ``manage.py check --deploy`` gives no warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("MAILLAGE_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} doit valoir true ou false, pas {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} doit être un nombre entier, pas {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


ENVIRONMENT = os.environ.get("MAILLAGE_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("MAILLAGE_ENV doit valoir development ou production.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG ne peut pas être activé en production.")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY doit être fourni en production (au moins 50 caractères aléatoires).")
elif not SECRET_KEY:
    SECRET_KEY = "django-insecure-local-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS doit être fourni en production (ex. maillage.example.org).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "maillage.core",
    "maillage.territories",
    "maillage.workspaces",
    "maillage.audit",
    "maillage.organizations",
    "maillage.alliances",
    "maillage.contributions",
    "maillage.receipts",
    "maillage.evaluation",
    "maillage.diagnostic",
    "maillage.observatory",
    "maillage.matching",
    "maillage.proposals",
    "maillage.exchange",
    "maillage.demo",
    "maillage.jobs",
    "maillage.privacy",
    "maillage.web",
    "maillage.api",
]

MIDDLEWARE = [
    # Outermost: a database that is down or restarting answers a French 503 page (JSON under /api/), not a 500.
    "maillage.core.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response (error pages of the middlewares below included) carries them.
    "csp.middleware.CSPMiddleware",
    "maillage.core.hostile.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "maillage.core.middleware.IdleSessionTimeoutMiddleware",
    "maillage.workspaces.middleware.CurrentWorkspaceMiddleware",
    "maillage.core.hostile.HostileInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maillage.urls"
WSGI_APPLICATION = "maillage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.core.context_processors.workspace",
                "maillage.web.context_processors.side",
            ],
            # French numbers and names (|euros, |heures, |pourcent, |de, |a) in every template: core/formats.py.
            "builtins": ["maillage.web.templatetags.fr"],
        },
    },
]

# ---------------------------------------------------------------------------------------------------------------
# Databases, replicas and caches (scale-out, decision 0010). Kept together: one function builds every SQLite
# database, the default file and a ``DATABASE_URL=sqlite:///…`` alike; read replicas are extra aliases that a
# router (core/db_router.py) uses for the reads that tolerate lag.
# ---------------------------------------------------------------------------------------------------------------
SQLITE_SAFE_OPTIONS = {
    # One writer at a time, taken at BEGIN (no upgrade deadlock), waiting up to 20 s for the lock; WAL lets the
    # readers read while one writes; FULL syncs every commit; foreign keys enforced.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # secure_delete: deleted and overwritten rows are zeroed in the file, so that an erased person is not left in
    # free pages that a backup copies (decision 0012).
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
    "PRAGMA secure_delete=ON;",
}


def sqlite_database(name: str | Path, **extra) -> dict:
    """The settings of every SQLite database of Maillage (the default file or ``DATABASE_URL=sqlite:///…``)."""
    options = {**SQLITE_SAFE_OPTIONS, **extra.pop("OPTIONS", {})}
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": options,
        "TEST": {"NAME": os.environ.get("SQLITE_TEST_NAME") or None},
        **extra,
    }


def database_from_url(url: str, **extra) -> dict:
    """A database given by URL: SQLite URLs get the safe settings above, others dj-database-url's parse."""
    parsed = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 60), **extra)
    if parsed["ENGINE"] == "django.db.backends.sqlite3":
        if parsed["NAME"] in ("", ":memory:"):
            raise ImproperlyConfigured(
                "DATABASE_URL sqlite:// doit donner un fichier (sqlite:////chemin/base.sqlite3)."
            )
        return sqlite_database(parsed["NAME"])
    return dict(parsed)


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": sqlite_database(VAR_DIR / "maillage.sqlite3")}

# Read replicas (PostgreSQL streaming replicas of the primary): aliases replica_1, replica_2…; the router is
# installed only when there is one, so without replicas every query goes to "default" as before.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 5)  # read-your-writes: a client that wrote reads the primary
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)  # a replica found down is left alone that long
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)  # seconds
if DATABASE_REPLICA_URLS and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_REPLICA_URLS demande une base principale PostgreSQL (DATABASE_URL).")
for _index, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = database_from_url(_url, conn_health_checks=True)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS : {_url!r} n'est pas une URL PostgreSQL.")
    _replica.setdefault("OPTIONS", {})["connect_timeout"] = REPLICA_CONNECT_TIMEOUT
    _replica["TEST"] = {"MIRROR": "default"}  # the test suite reads the test database through it
    DATABASES[f"replica_{_index}"] = _replica
REPLICA_ALIASES = [alias for alias in DATABASES if alias.startswith("replica_")]
DATABASE_ROUTERS = ["maillage.core.db_router.ReplicaRouter"] if REPLICA_ALIASES else []
if REPLICA_ALIASES:
    MIDDLEWARE.append("maillage.core.db_router.ReplicaMiddleware")
# Pages whose every read may come from a replica (lists; the directory, territories and observatory are
# replica reads on every page already, by their app: see core/db_router.py).
REPLICA_READ_VIEWS = {
    "web:alliance_list",
    "web:alliance_board",
    "web:dashboard",
    "web:evaluation_list",
    "web:matching_list",
    "web:matching_home",
    "web:receipts_home",
    "web:observatory_home",
    "web:observatory_territory",
    "web:observatory_open_data",
}

# Caches: shared by every process through CACHE_URL (redis://hôte:6379/0, or db://table for the database);
# local memory only for development (each process its own). In production without CACHE_URL, the database.
CACHE_URL = os.environ.get("CACHE_URL", "") or ("db://maillage_cache" if PRODUCTION else "locmem://")


def cache_from_url(url: str) -> dict:
    scheme, _, rest = url.partition("://")
    if scheme in {"redis", "rediss", "unix"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "maillage"}
    if scheme in {"db", "database"}:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest or "maillage_cache"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "maillage"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r} non reconnue : redis://hôte:6379/0, db://table, locmem:// ou dummy://."
    )


CACHES = {"default": cache_from_url(CACHE_URL)}
# Sessions are kept in the database (Django's default engine): every process reads the same ones.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Serving (issue 17, docs/operations.md) -------------------------------------------------------------------
# PostgreSQL: a persistent connection (CONN_MAX_AGE, above) is checked before its first use in a request, so that a
# connection broken by a restart of PostgreSQL is replaced at once instead of failing one request per thread; a
# connection attempt gives up after MAILLAGE_DB_CONNECT_TIMEOUT seconds (the page then answers 503, see
# core/unavailable.py) rather than holding a worker while the database is unreachable.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["CONN_HEALTH_CHECKS"] = True
        _database.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("MAILLAGE_DB_CONNECT_TIMEOUT", 5))
# Passwords: Argon2id at OWASP's first recommended cost (19 MiB, 2 passes, 1 lane: ~30 ms of one core here) rather
# than PBKDF2 at 1,000,000 iterations (~320 ms): 50 simultaneous logins then cost ~1.5 s of CPU instead of 16 s.
# PBKDF2 hashes made before stay valid and are rewritten in Argon2id at the next login. Reasons and figures:
# docs/operations.md, section "Passwords".
PASSWORD_HASHERS = [
    "maillage.core.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Static files in production: WhiteNoise compresses them once, at `maillage serve`'s collectstatic; source maps
# (5 MB, read only by developer tools) are served as they are, which takes most of the compression time away.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "tbz",
    "xz",
    "br",
    "swf",
    "flv",
    "woff",
    "woff2",
    "3gp",
    "3gpp",
    "asf",
    "avi",
    "m4v",
    "mov",
    "mp4",
    "mpeg",
    "mpg",
    "webm",
    "wmv",
    "map",
)
# --- end of serving --------------------------------------------------------------------------------------------

AUTH_USER_MODEL = "workspaces.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:todo"  # the start page « À faire » (no workspace yet: it sends to the workspace list)
LOGOUT_REDIRECT_URL = "web:login"
# Where core.tenancy.workspace_required sends a user without a current workspace (a page name: core knows no page).
WORKSPACE_CHOICE_URL = "web:workspace_list"

# Login throttling: lock on username + IP after 5 failures, for 15 minutes; never for ever.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "maillage.workspaces.signals.axes_username"  # the address in lower case
AXES_LOCKOUT_TEMPLATE = "web/auth/locked.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Successful logins are journaled once, by the audit journal (auth.login, with address and browser): axes keeps the
# failures it locks on, not a second log of every login (a write less per login).
AXES_DISABLE_ACCESS_LOG = True

# Sessions: 12 hours at most, 30 minutes idle (see core.middleware.IdleSessionTimeoutMiddleware).
SESSION_COOKIE_AGE = 12 * 3600
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files (signed agreements, signature images) go through Django's storage API only: the local disk
# (MEDIA_ROOT) by default, an S3-compatible object store when STORAGE_S3_BUCKET is set (django-storages,
# ``pip install 'maillage[s3]'``), so that several machines share them.
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("STORAGE_S3_REGION") or None,
            "access_key": os.environ.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("STORAGE_S3_PREFIX", ""),
            "addressing_style": os.environ.get("STORAGE_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO & co
            "default_acl": None,  # private objects; files are served by Maillage's views, never by URL
            "querystring_auth": True,
            "file_overwrite": False,  # like the local disk: a new name rather than replacing a file
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# The observatory's refresh computes in an embedded DuckDB (decision 0007): its memory cap, e.g. "2GB"
# (empty: DuckDB's default, 80 % of the RAM; beyond the cap it spills to a temporary directory).
OBSERVATORY_DUCKDB_MEMORY = os.environ.get("MAILLAGE_OBSERVATORY_MEMORY", "")
# Disclosure control (decision 0013): an organisation counts once its workspace has been verified this many days;
# the record keys of the cell-key perturbation are drawn from this secret (default: derived from SECRET_KEY). It
# must never change between refreshes: new keys draw new noise, which an outsider could average.
OBSERVATORY_MIN_AGE_DAYS = env_int("MAILLAGE_OBSERVATORY_MIN_AGE_DAYS", 30)
OBSERVATORY_KEY_SECRET = os.environ.get("MAILLAGE_OBSERVATORY_KEY_SECRET", "")
# The nightly job publishes a snapshot on this weekday only (0 = Monday; -1 = every night).
OBSERVATORY_SNAPSHOT_WEEKDAY = env_int("MAILLAGE_OBSERVATORY_SNAPSHOT_WEEKDAY", 0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded and generated files (signed agreements, receipts) hold personal data: owner only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work (decision 0009): django-tasks, its database backend by default (a table of the database, no
# broker), run by `maillage worker`. MAILLAGE_TASKS_BACKEND=immediate runs each task at once in the caller (a demo
# without a worker; the tests). The worker beats every TASKS_WORKER_BEAT_SECONDS; the tasks of a worker silent for
# TASKS_WORKER_STALE_SECONDS (or whose process is gone from this host) are run again by another one.
TASKS_BACKENDS = {
    "database": "django_tasks_db.backend.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = os.environ.get("MAILLAGE_TASKS_BACKEND", "database")
if _tasks_backend not in TASKS_BACKENDS:
    raise ImproperlyConfigured(f"MAILLAGE_TASKS_BACKEND doit valoir database ou immediate, pas {_tasks_backend!r}.")
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[_tasks_backend]}}
TASKS_WORKER_BEAT_SECONDS = env_int("MAILLAGE_WORKER_BEAT_SECONDS", 10)
TASKS_WORKER_STALE_SECONDS = env_int("MAILLAGE_WORKER_STALE_SECONDS", 60)
# Periodic jobs left to another scheduler (names of maillage.jobs.schedule.SCHEDULE, comma-separated).
MAILLAGE_SCHEDULE_OFF = env_list("MAILLAGE_SCHEDULE_OFF", [])

# Where the accessibility statement (/accessibilite/) tells people to report what they cannot use (RGAA: a means of
# contact that answers); set it to a mailbox someone reads.
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "accessibilite@maillage.localhost")
# E-mail: printed to the console unless EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Maillage <ne-pas-repondre@maillage.localhost>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4, docs/security.md « En-têtes et entrées hostiles »): scripts only from our
# own static files (htmx, pages' JS, Swagger UI), no inline script, no eval; styles from our files only, inline
# style attributes refused too (the pages use classes; widths of bars are set by web/maillage.js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy: every powerful feature off (core.hostile.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY: dict[str, list[str]] = dict.fromkeys(
    [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "sync-xhr",
        "usb",
        "xr-spatial-tracking",
    ],
    [],
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Domain settings.
DIRECTORY_PAGE_SIZE = 20
INVITATION_VALID_DAYS = 14
# Evidence uploaded with an organisation claim (decision 0008): PDF, PNG or JPEG, at most this many bytes.
CLAIM_EVIDENCE_MAX_BYTES = env_int("MAILLAGE_CLAIM_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)

# ---------------------------------------------------------------------------------------------------------------
# Personal data (GDPR, decision 0012): retention periods applied by the daily purge (lawful defaults), and the
# operator's details shown on the legal pages (mentions légales, confidentialité).
# ---------------------------------------------------------------------------------------------------------------
# CNIL: prospects' data kept 3 years after the last contact with them.
MAILLAGE_RETENTION_CONTACT_YEARS = env_int("MAILLAGE_RETENTION_CONTACT_YEARS", 3)
# Code de commerce art. L. 123-22: accounting records and their supporting documents kept 10 years.
MAILLAGE_RETENTION_ACCOUNTING_YEARS = env_int("MAILLAGE_RETENTION_ACCOUNTING_YEARS", 10)
# Uploaded import files: kept while an import may be checked or undone, then emptied.
MAILLAGE_RETENTION_IMPORT_DAYS = env_int("MAILLAGE_RETENTION_IMPORT_DAYS", 30)
MAILLAGE_OPERATOR = {
    "name": os.environ.get("MAILLAGE_OPERATOR_NAME", "Association exploitant cette instance de Maillage"),
    "address": os.environ.get("MAILLAGE_OPERATOR_ADDRESS", ""),
    "email": os.environ.get("MAILLAGE_OPERATOR_EMAIL", ""),
    "identifier": os.environ.get("MAILLAGE_OPERATOR_IDENTIFIER", ""),  # SIREN or RNA number
    "publisher": os.environ.get("MAILLAGE_OPERATOR_PUBLISHER", ""),  # directeur de la publication
    "dpo_email": os.environ.get("MAILLAGE_OPERATOR_DPO_EMAIL", ""),
    "host": os.environ.get("MAILLAGE_HOST_DETAILS", ""),  # hébergeur: name, address, telephone
}
