"""One settings module, driven by environment variables (django-environ).

Embedded default: SQLite in the project folder, django-q2's ORM broker, a database cache.
Scaled: DATABASE_URL=postgres://... and REDIS_URL=redis://... switch to PostgreSQL (psycopg 3,
Django's connection pool) and django-q2's Redis broker. Every variable is listed in .env.example.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: a missing key fails at boot
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="development" if DEBUG else "production")

INSTALLED_APPS = [
    "common.admin_apps.ConsoleAdminConfig",  # django.contrib.admin with the console site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "import_export",
    "common",
    "exactsync",
    "channels_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.context_processors.console",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------------
(BASE_DIR / "var").mkdir(exist_ok=True)  # the embedded SQLite file, media and static live here
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: the web process and the qcluster write to the same file.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (not :memory:), so threads and worker processes share it as in production.
    # One file per test run (parallel runs on one machine must not share it).
    _db["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test_db_{os.getpid()}.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg 3 pool in web processes; not in qcluster, whose workers are forked (a pool
    # holds threads and sockets that must not cross a fork).
    _use_pool = env.bool("DATABASE_POOL", default=True) and "qcluster" not in sys.argv
    _db["CONN_MAX_AGE"] = 0 if _use_pool else 60
    _db["CONN_HEALTH_CHECKS"] = True
    _db["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 8, "timeout": 10}} if _use_pool else {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "q_cache"}
    )
}

# --- auth, i18n, static --------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"
STORAGES = {
    # Uploaded CSVs live here; every web and worker process must see the same folder
    # (a shared volume, or an S3-style backend configured in its place).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
LOGIN_URL = "admin:login"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now; silences the transitional warning

# --- e-mail --------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="backoffice@localhost")
REPORT_EMAILS = env.list("REPORT_EMAILS", default=[])

# --- secrets at rest ------------------------------------------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

# --- django-q2 -----------------------------------------------------------------------------------
Q_CLUSTER = {
    "name": "backoffice",
    "workers": env.int(
        "Q_WORKERS", default=4
    ),  # I/O-bound tasks; some wait out a coalescing window
    "timeout": 300,
    "retry": 420,  # strictly above timeout: a task is never redelivered while it still runs
    "max_attempts": 3,
    "ack_failures": False,
    "queue_limit": 8,
    "bulk": 1,
    "poll": 0.2,
    "save_limit": 1000,
    "catch_up": False,
    # Under pytest, tasks run inline (django-q2's sync mode) unless a test opts into the broker.
    "sync": env.bool("Q_SYNC", default="pytest" in sys.modules),
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Exact Online --------------------------------------------------------------------------------
EXACT_CLIENT_ID = env.str("EXACT_CLIENT_ID", default="")
EXACT_CLIENT_SECRET = env.str("EXACT_CLIENT_SECRET", default="")
EXACT_WEBHOOK_SECRET = env.str("EXACT_WEBHOOK_SECRET", default="")
EXACT_REDIRECT_URI = env.str("EXACT_REDIRECT_URI", default="")  # default: built from the request
EXACT_WEBHOOK_BASE_URL = env.str("EXACT_WEBHOOK_BASE_URL", default="")
# Sandboxes: when no Exact client id is configured, `make run` serves local sandboxes.
SANDBOX_MODE = env.bool("SANDBOX_MODE", default=not EXACT_CLIENT_ID)
SANDBOX_HOST = env.str("SANDBOX_HOST", default="127.0.0.1")
SANDBOX_EXACT_PORT = env.int("SANDBOX_EXACT_PORT", default=8701)
SANDBOX_CHANNELS_PORT = env.int("SANDBOX_CHANNELS_PORT", default=8702)

# Stock coalescing window for Exact webhooks (seconds).
STOCK_COALESCE_SECONDS = env.float("STOCK_COALESCE_SECONDS", default=2.0)
# Token for the small JSON endpoints other systems use (purchase orders, shipments).
API_TOKENS = env.list("API_TOKENS", default=[])

# Retention
ACTIVITY_RETENTION_DAYS = env.int("ACTIVITY_RETENTION_DAYS", default=90)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
BUYER_DATA_RETENTION_DAYS = env.int("BUYER_DATA_RETENTION_DAYS", default=90)

# --- django-import-export -------------------------------------------------------------------------
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

# --- security --------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "common.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "urllib3": {"level": "WARNING"},
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="WARNING")},
        "django.server": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
    },
}
