"""ScaleReady settings: one module, every deploy-specific value from the environment.

Local defaults are safe for a laptop (SQLite and a file-based Celery broker under
``var/``); production refuses to start without a ``SECRET_KEY``.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SCALEREADY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# Under DEBUG a missing page still shows the app's 404; set this to see Django's technical
# 404 (which lists every URL pattern) while debugging routing.
DEBUG_TECHNICAL_404 = env_bool("SCALEREADY_DEBUG_TECHNICAL_404")

# Commands that serve no web request and sign nothing (``manage.py probe``, ``score``,
# ``report``) run bare: without SECRET_KEY they get a random one for the process, never the
# development key, and read static files where they are (no collected manifest).
SECRETLESS_COMMANDS = frozenset({"probe", "score", "report"})


def running_command() -> str | None:
    """The manage.py subcommand this process runs, if any."""
    if len(sys.argv) > 1 and Path(sys.argv[0]).name in {"manage.py", "django-admin"}:
        return sys.argv[1]
    return None


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # noqa: S105
    elif running_command() in SECRETLESS_COMMANDS:
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Probes may target loopback addresses only while developing locally or in tests.
SCALEREADY_ALLOW_LOOPBACK_TARGETS = env_bool("SCALEREADY_ALLOW_LOOPBACK_TARGETS")
if SCALEREADY_ALLOW_LOOPBACK_TARGETS and not DEBUG:
    raise ImproperlyConfigured(
        "SCALEREADY_ALLOW_LOOPBACK_TARGETS is for local development only; it is refused "
        "when DEBUG is off."
    )

# Probe runs: one run per system at a time, then a pause per host so targets are not hammered.
SCALEREADY_PROBE_COOLDOWN_SECONDS = int(os.environ.get("SCALEREADY_PROBE_COOLDOWN_SECONDS", "60"))
# A running probe run whose worker has not written a heartbeat for this long is marked failed;
# a run nobody picked up within the queue timeout too (the sweeper runs every minute).
SCALEREADY_PROBE_HEARTBEAT_TIMEOUT_SECONDS = int(
    os.environ.get("SCALEREADY_PROBE_HEARTBEAT_TIMEOUT_SECONDS", "60")
)
SCALEREADY_PROBE_QUEUE_TIMEOUT_SECONDS = int(
    os.environ.get("SCALEREADY_PROBE_QUEUE_TIMEOUT_SECONDS", "600")
)
# A CA bundle trusted instead of the system store: for tests with a local CA only.
SCALEREADY_PROBE_CA_BUNDLE = os.environ.get("SCALEREADY_PROBE_CA_BUNDLE") or None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "csp",
    "axes",
    "config.apps.ProjectConfig",
    # Feature apps, lowest first: each imports only apps above it in this list (see
    # docs/architecture.md; import-linter checks it).
    "checks",
    "assessments.bank",
    "assessments.workspaces",
    "assessments.audit",
    "assessments.questionnaire",
    "assessments.probes",
    "assessments.results",
    "assessments.milestones",
    "assessments.reports",
    "assessments.portfolio",
    "assessments.watch",
    "assessments.api",  # uses every app above
    "ninja",
]

MIDDLEWARE = [
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "config.middleware.SessionLifetimeMiddleware",
    "config.middleware.NoStoreMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",
    "config.middleware.FriendlyNotFoundMiddleware",
    # Last, so it sees failed logins after authentication ran.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessments.workspaces.context_processors.workspace_nav",
            ],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'scaleready.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding lets psycopg prepare a statement the connection has run a
    # few times: PostgreSQL then skips parsing and planning it, which was most of the time
    # every page's dozen small reads took (docs/benchmarks.md, issue 18).
    # (Django turns preparing off by default for the sake of connection poolers in
    # transaction mode; we connect to PostgreSQL directly.)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker read and write side by side.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not SQLite's in-memory default: tests start worker processes that share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-scaleready.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ASVS L2 (V2.1): at least 12 characters, not a common password, not like the account's own
# name or address.
PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Password-reset e-mails: at most this many per address and per client address in a window
# (config/throttle.py); beyond it the form answers as usual and sends nothing.
PASSWORD_RESET_LIMIT_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", "3"))
PASSWORD_RESET_LIMIT_PER_IP = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_IP", "10"))
PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("PASSWORD_RESET_WINDOW_SECONDS", "3600"))
# Sign-up confirmation links (and password-reset links) stay valid this long.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))

# Sessions (ASVS V3.3): signed out after SESSION_IDLE_TIMEOUT_SECONDS without a request, and
# after SESSION_COOKIE_AGE whatever happens (config/middleware.py SessionLifetimeMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(8 * 3600)))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT_SECONDS", str(24 * 3600)))
if SESSION_IDLE_TIMEOUT_SECONDS > SESSION_COOKIE_AGE:
    raise ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT_SECONDS cannot be longer than SESSION_ABSOLUTE_TIMEOUT_SECONDS."
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or running_command() in SECRETLESS_COMMANDS
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ScaleReady <noreply@localhost>")

# Shared by the web processes and the worker (portfolio analytics are cached per workspace):
# Redis when CACHE_URL is set, otherwise files under VAR_DIR (per-process memory would let
# one gunicorn worker serve tables another has already invalidated).
# Kept pages (config/fragments.py) have a cache of their own: they come and go with every
# change, and in files their numbers would cull the counters and tables of the default one.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
    }
    if os.environ.get("CACHE_URL")
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    "pages": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
        "KEY_PREFIX": "pages",
    }
    if os.environ.get("CACHE_URL")
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache-pages"),
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
# Rendered results, roadmap and area parts, cached under a digest of their inputs
# (config/fragments.py): never stale, so on by default; off renders every request afresh.
SCALEREADY_FRAGMENT_CACHE = env_bool("SCALEREADY_FRAGMENT_CACHE", True)
SCALEREADY_FRAGMENT_CACHE_SECONDS = int(os.environ.get("SCALEREADY_FRAGMENT_CACHE_SECONDS", "3600"))

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe health over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND",
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else f"file://{VAR_DIR / 'celery-results'}",
)
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
# Tests set their own queue so a developer's running worker never takes their tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# Queueing a task from a web request gives up after a few seconds when the broker (or the
# result store) cannot be reached, instead of Celery's defaults of 20 reconnects: the row is
# marked failed and the person told to try again (config/enqueue.py).
SCALEREADY_QUEUE_TIMEOUT_SECONDS = float(os.environ.get("SCALEREADY_QUEUE_TIMEOUT_SECONDS", "3"))
CELERY_BROKER_CONNECTION_TIMEOUT = SCALEREADY_QUEUE_TIMEOUT_SECONDS
# Publishing retries twice within a second (workers keep Celery's own reconnect policy).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": SCALEREADY_QUEUE_TIMEOUT_SECONDS}
# Tasks are sent with ignore_result (their rows say how they ended), so a web request never
# waits on the result store; the worker's writes to it give up quickly too.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = SCALEREADY_QUEUE_TIMEOUT_SECONDS
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
}
# A PDF renders in seconds; one that takes minutes is stuck, and the page offers a retry.
SCALEREADY_REPORT_SOFT_TIME_LIMIT = int(os.environ.get("SCALEREADY_REPORT_SOFT_TIME_LIMIT", "90"))
SCALEREADY_REPORT_TIME_LIMIT = int(os.environ.get("SCALEREADY_REPORT_TIME_LIMIT", "120"))
if SCALEREADY_REPORT_SOFT_TIME_LIMIT >= SCALEREADY_REPORT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "SCALEREADY_REPORT_SOFT_TIME_LIMIT must be shorter than SCALEREADY_REPORT_TIME_LIMIT."
    )
# A rendering whose worker wrote no heartbeat for this long is dead (the hard time limit has
# passed): the next "Make PDF" supersedes it. A queued one no worker took in the queue timeout
# is failed by the sweeper.
SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS = int(
    os.environ.get(
        "SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS", str(SCALEREADY_REPORT_TIME_LIMIT + 30)
    )
)
SCALEREADY_REPORT_QUEUE_TIMEOUT_SECONDS = int(
    os.environ.get("SCALEREADY_REPORT_QUEUE_TIMEOUT_SECONDS", "600")
)
CELERY_RESULT_EXPIRES = 3600
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker runs beat embedded (`-B`, see Procfile); it keeps its schedule state under var/.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "probe-runs-sweep": {"task": "checks.sweep_probe_runs", "schedule": 60.0},
    "reports-sweep": {"task": "reports.sweep_reports", "schedule": 60.0},
    "drift-watch-sweep": {"task": "watch.sweep", "schedule": 300.0},
}
# The drift watch (assessments.watch): seconds before the first webhook retry (then doubled
# for each further attempt, checks.engine.drift.retry_delays).
SCALEREADY_WEBHOOK_RETRY_BASE_SECONDS = int(
    os.environ.get("SCALEREADY_WEBHOOK_RETRY_BASE_SECONDS", "30")
)

# Prometheus: every process writes its samples here; /metrics sums them (config/metrics.py).
PROMETHEUS_MULTIPROC_DIR = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", VAR_DIR / "prometheus"))
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
# prometheus_client reads this when first imported: settings load before any import of it.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(PROMETHEUS_MULTIPROC_DIR))
METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

# LOG_FORMAT=json gives one JSON object per line (for log shippers); plain text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The REST API (assessments.api, docs/api.md): requests per token per window, counted in the
# default cache (shared by every process when CACHE_URL points at Redis).
SCALEREADY_API_RATE_REQUESTS = int(os.environ.get("SCALEREADY_API_RATE_REQUESTS", "120"))
SCALEREADY_API_RATE_SECONDS = int(os.environ.get("SCALEREADY_API_RATE_SECONDS", "60"))
# How often a token's "last used" time is written (at most once per this many seconds).
SCALEREADY_API_LAST_USED_RESOLUTION_SECONDS = 60
