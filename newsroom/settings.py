"""Newsroom settings: one file, driven by environment variables.

The defaults serve the embedded demo on a laptop (SQLite, local media, a
filesystem Celery broker). Production sets ``DEBUG=0`` and real values; it then
refuses to start without a real ``SECRET_KEY`` and turns on every HTTPS and
cookie protection that ``manage.py check --deploy`` asks for.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_prose_editor.config import html_tags
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEWSROOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# pytest is imported before settings in a test run; tests get fast hashing and
# a file-backed test database that a real worker process can share.
TESTING = env_bool("NEWSROOM_TESTING", "pytest" in sys.modules)

_DEMO_SECRET = "demo-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", _DEMO_SECRET if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEMO_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "Production mode (DEBUG=0) needs a real SECRET_KEY of at least 50 characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Warta Niaga")

INSTALLED_APPS = [
    "desk.apps.NewsroomAdminConfig",  # django.contrib.admin, the desk as its index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_prose_editor",
    "axes",
    "newsroom",
    "core",
    "paywall",
    "articles",
    "subscriptions",
    "analytics",
    "pagecache",
    "publishing",
    "website",
    "desk",
    "revenue",
    "ninja",
    "apitokens",
]

MIDDLEWARE = [
    "newsroom.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "paywall.middleware.MeterCookieMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "newsroom.context_processors.site",
    "subscriptions.context_processors.reader_access",
]
TEMPLATES = [
    # The reader site: Jinja2 (jinja2/ and <app>/jinja2/), several times faster
    # than Django templates on the card-heavy pages (website/jinja2env.py).
    {
        "BACKEND": "website.jinja2_backend.Jinja2",
        "NAME": "jinja2",  # the alias code asks for (engines["jinja2"])
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "website.jinja2env.environment",
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    # The admin, the ops pages, sitemaps and e-mail texts: Django templates.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout
    # waits for a busy writer instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compilation costs hundreds of milliseconds on queries the planner
    # over-estimates, and a news site runs only short, indexed queries.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Values travel apart from the SQL text (server-side binding), so a query
    # run five times on a connection is prepared there and PostgreSQL stops
    # planning it on every request: planning was most of a reader page's
    # database CPU. Behind a pooler in transaction mode (PgBouncer < 1.21),
    # set DB_PREPARED_STATEMENTS=0.
    if os.environ.get("DB_PREPARED_STATEMENTS", "1") == "1":
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if TESTING and not IS_POSTGRES:
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, chosen now

# --- Cache --------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if TESTING and REDIS_URL and _XDIST_WORKER.startswith("gw"):
    # Parallel test processes each get their own Redis database: a test that
    # clears the cache must not flush another process's entries. Two suites run
    # side by side on one Redis set TEST_REDIS_DB_BASE apart (default 10).
    _db_base = int(os.environ.get("TEST_REDIS_DB_BASE", "10"))
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{_db_base + int(_XDIST_WORKER[2:])}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache_backends.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif not TESTING:
    # The embedded demo has no Redis, but its worker purges pages after
    # publishing: a cache on disk is shared by the web and worker processes,
    # so a scheduled story reaches the home page on time, not when a
    # per-process copy expires.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "TIMEOUT": 300,
        }
    }

# --- Auth ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# --- I18n ---------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "id")
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
# Date-time formats that name the zone ("WIB") in the admin (newsroom/formats/).
FORMAT_MODULE_PATH = ["newsroom.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The body editor's own nodes (inline photo, "Read also"): an ES module the
# prose editor imports when a field's config names them (desk/forms.py). The
# body's allow-list is ``articles.body_policy``, not the editor's: the
# processors here add nothing.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("desk/body-blocks.js")],
        "extensions": {"NewsPhoto": html_tags([]), "ReadAlso": html_tags([])},
    }
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(15 * 1024 * 1024)))
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", str(40_000_000)))

# --- Celery -------------------------------------------------------------------
# The embedded default needs no broker server: kombu's filesystem transport
# keeps messages in var/broker, shared by the web, worker and beat processes.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://localhost/"
BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", VAR_DIR / "broker"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Tasks with an ETA beyond the visibility timeout would be redelivered;
    # the pipeline keeps far-future schedules in the database instead.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A worker proves it is alive by running beat's heartbeat task; /healthz calls
# it stale after WORKER_STALE_AFTER_SECONDS (three missed beats), soon enough
# for an on-call editor to act before a scheduled story is late.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "20"))
WORKER_STALE_AFTER_SECONDS = int(os.environ.get("WORKER_STALE_AFTER_SECONDS", "60"))
CELERY_BEAT_SCHEDULE: dict = {
    "newsroom-heartbeat": {
        "task": "newsroom.tasks.heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
}

# --- Paywall and billing (subscriptions) ------------------------------------------
PAYWALL_METER_ANONYMOUS = int(os.environ.get("PAYWALL_METER_ANONYMOUS", "3"))
PAYWALL_METER_REGISTERED = int(os.environ.get("PAYWALL_METER_REGISTERED", "10"))
PAYWALL_METER_COOKIE = "nr_meter"
# Readers whose browser never returns the meter cookie (paywall/rules.py:
# Cookieless): "network" (count new meter ids per address per day), "teaser"
# or "free".
PAYWALL_COOKIELESS = os.environ.get("PAYWALL_COOKIELESS", "network")
PAYWALL_NETWORK_NEW_METERS = int(os.environ.get("PAYWALL_NETWORK_NEW_METERS", "1000"))
# Dotted path to a callable(request) -> bool that proves a crawler is who it claims
# (e.g. "paywall.crawlers.reverse_dns_verifier"); empty = nobody is verified.
PAYWALL_CRAWLER_VERIFIER = os.environ.get("PAYWALL_CRAWLER_VERIFIER", "")
SUBSCRIPTION_GRACE_DAYS = int(os.environ.get("SUBSCRIPTION_GRACE_DAYS", "7"))
SUBSCRIPTION_REMINDER_DAYS = int(os.environ.get("SUBSCRIPTION_REMINDER_DAYS", "3"))
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "demo")  # demo | stripe
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
CELERY_BEAT_SCHEDULE.update(
    {
        "subscriptions-renew-due": {"task": "subscriptions.tasks.renew_due", "schedule": 900.0},
        "subscriptions-expire-lapsed": {
            "task": "subscriptions.tasks.expire_lapsed",
            "schedule": 900.0,
        },
        "subscriptions-renewal-reminders": {
            "task": "subscriptions.tasks.send_renewal_reminders",
            "schedule": 3600.0,
        },
        "subscriptions-trial-ending": {
            "task": "subscriptions.tasks.send_trial_ending_notices",
            "schedule": 3600.0,
        },
        "subscriptions-retry-webhooks": {
            "task": "subscriptions.tasks.retry_stuck_webhooks",
            "schedule": 300.0,
        },
    }
)

# --- JSON API ---------------------------------------------------------------------
# Requests per minute, counted in the cache (Redis in production), per client
# address for anonymous callers and per token (or session user) otherwise.
API_RATE_ANONYMOUS = int(os.environ.get("API_RATE_ANONYMOUS", "120"))
API_RATE_AUTHENTICATED = int(os.environ.get("API_RATE_AUTHENTICATED", "600"))

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "redaksi@wartaniaga.example")

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "newsroom.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Reader site ----------------------------------------------------------------
# Whole pages are cached per variant (language, entitlement class, access
# outcome), never per reader; purges are generation bumps (articles/cache.py).
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", True)
PAGE_CACHE_ARTICLE_SECONDS = int(os.environ.get("PAGE_CACHE_ARTICLE_SECONDS", "300"))
PAGE_CACHE_LIST_SECONDS = int(os.environ.get("PAGE_CACHE_LIST_SECONDS", "120"))
# Search ranks the newest this many matches (website.search_plans.candidate_bound).
SEARCH_CANDIDATES = int(os.environ.get("SEARCH_CANDIDATES", "300"))
# What a shared cache (CDN) may keep a public page for, and browsers.
HTTP_CACHE_S_MAXAGE = int(os.environ.get("HTTP_CACHE_S_MAXAGE", "300"))
HTTP_CACHE_MAX_AGE = int(os.environ.get("HTTP_CACHE_MAX_AGE", "60"))
# A cached page is served before the rest of the stack (pagecache/middleware.py),
# and sessions are read from the cache (kept in the database too), so a page-cache
# hit runs no SQL, signed in or not.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "pagecache.middleware.PageCacheHitMiddleware",
)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# "Follow us" channels under every article: (label, URL).
FOLLOW_US_CHANNELS = [
    ("Google News", os.environ.get("FOLLOW_GOOGLE_NEWS_URL", "https://news.google.com/")),
    ("WhatsApp Channel", os.environ.get("FOLLOW_WHATSAPP_URL", "https://whatsapp.com/channel/")),
    ("Instagram", os.environ.get("FOLLOW_INSTAGRAM_URL", "https://www.instagram.com/")),
    ("X", os.environ.get("FOLLOW_X_URL", "https://x.com/")),
]

# --- Publication pipeline (publishing/) --------------------
# The beat sweep publishes/expires what a lost task missed; exact-time tasks
# go to the broker only when due within the horizon (kept well below Redis'
# visibility timeout, after which it would redeliver a waiting ETA task).
PIPELINE_SWEEP_SECONDS = float(os.environ.get("PIPELINE_SWEEP_SECONDS", "30"))
PIPELINE_ETA_HORIZON_SECONDS = int(os.environ.get("PIPELINE_ETA_HORIZON_SECONDS", "900"))
# Late: past its time by more than one sweep interval and a margin, so a late
# story means the worker or beat is down, not that the sweep has yet to run.
PIPELINE_LATE_AFTER_SECONDS = int(os.environ.get("PIPELINE_LATE_AFTER_SECONDS", "45"))
PIPELINE_ROLLUP_SECONDS = float(os.environ.get("PIPELINE_ROLLUP_SECONDS", "300"))
# Funnel events (``analytics.funnel``): how often the roll-up writes them, and
# how long a roll-up's Redis lock outlives a worker killed while holding it.
FUNNEL_ROLLUP_SECONDS = float(os.environ.get("FUNNEL_ROLLUP_SECONDS", "60"))
FUNNEL_ROLLUP_LOCK_SECONDS = int(os.environ.get("FUNNEL_ROLLUP_LOCK_SECONDS", "300"))
# A subscription is credited to articles its reader met this many days before it.
ATTRIBUTION_WINDOW_DAYS = int(os.environ.get("ATTRIBUTION_WINDOW_DAYS", "30"))
# The revenue desk's snapshots (``revenue.snapshots``): how often beat writes
# them, how many past days each run recomputes (a day's figures can change
# after the fact while a lapsed subscription waits to expire: keep it above
# SUBSCRIPTION_GRACE_DAYS plus the expiry sweep), and how old the what-if's
# stored histogram may be before the page counts the reads live.
REVENUE_SNAPSHOT_SECONDS = float(os.environ.get("REVENUE_SNAPSHOT_SECONDS", "600"))
REVENUE_SNAPSHOT_DAYS = int(os.environ.get("REVENUE_SNAPSHOT_DAYS", "35"))
REVENUE_HISTOGRAM_MAX_AGE = int(os.environ.get("REVENUE_HISTOGRAM_MAX_AGE", "1800"))
PIPELINE_BEAT_LOCK_TTL = float(os.environ.get("PIPELINE_BEAT_LOCK_TTL", "60"))
PIPELINE_NOTIFIERS = env_list(
    "PIPELINE_NOTIFIERS", "publishing.notify.WebhookNotifier,publishing.notify.EmailNotifier"
)
PIPELINE_WEBHOOK_URLS = env_list("PIPELINE_WEBHOOK_URLS", "")
PIPELINE_NOTIFY_EMAILS = env_list("PIPELINE_NOTIFY_EMAILS", "")
# Tests slow a publish down to kill its worker mid-flight; ignored outside tests.
PIPELINE_TEST_PUBLISH_PAUSE = (
    float(os.environ.get("PIPELINE_TEST_PUBLISH_PAUSE", "0")) if TESTING else 0.0
)
CELERY_BEAT_SCHEDULER = "publishing.beat:SingletonScheduler"
CELERY_BEAT_SCHEDULE.update(
    {
        "publication-sweep": {
            "task": "publishing.tasks.sweep_publications",
            "schedule": PIPELINE_SWEEP_SECONDS,
            "options": {"expires": PIPELINE_SWEEP_SECONDS},
        },
        "page-view-roll-up": {
            "task": "analytics.tasks.roll_up_page_views",
            "schedule": PIPELINE_ROLLUP_SECONDS,
            "options": {"expires": PIPELINE_ROLLUP_SECONDS},
        },
        "funnel-roll-up": {
            "task": "analytics.tasks.roll_up_funnel",
            "schedule": FUNNEL_ROLLUP_SECONDS,
            "options": {"expires": FUNNEL_ROLLUP_SECONDS},
        },
        "revenue-snapshots": {
            "task": "revenue.tasks.write_snapshots",
            "schedule": REVENUE_SNAPSHOT_SECONDS,
            "options": {"expires": REVENUE_SNAPSHOT_SECONDS},
        },
    }
)
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Broadcast/control messages (worker pings, purges) also stay under var/,
    # not in a ``control/`` folder of whatever directory a process started in.
    CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"] = str(BROKER_DIR / "control")
    # Workers look for new messages four times a second (kombu's default is 1 s),
    # so a publish and its chained side effects do not queue up whole seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.25
