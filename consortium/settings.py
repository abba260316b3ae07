"""Settings for the consortium portal, read from the environment (see .env.example).

One module for every environment. DJANGO_ENV picks the defaults (development, test, production);
every value can be overridden by its variable and a bad value stops start-up with the variable's
name. With no DATABASE_URL the portal runs on the embedded PostgreSQL server in `var/` (see
consortium/embedded_postgres.py; `bin/demo` starts it), and with no REDIS_URL Celery runs tasks
in-process: the "embedded" default for trying it out on a laptop.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from consortium.cache_prefix import cache_key_prefix
from consortium.embedded_postgres import default_database_urls
from consortium.env import Env, EnvError

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR") or BASE_DIR / "var")

DJANGO_ENV = env.choice("DJANGO_ENV", "development", ["development", "test", "production"])
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"

DEBUG = env.bool("DJANGO_DEBUG", DJANGO_ENV == "development")
if PRODUCTION and DEBUG:
    raise EnvError("DJANGO_DEBUG must be false when DJANGO_ENV=production")

if PRODUCTION:
    SECRET_KEY = env.required("SECRET_KEY", "production needs a long random secret")
else:
    # Only for development and tests; production refuses to start without SECRET_KEY.
    SECRET_KEY = env.str("SECRET_KEY") or "dev-only-insecure-key-" + "x" * 40

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvError("ALLOWED_HOSTS must be set when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django admin, behind allauth sign-in with MFA and an audited consortium scope.
    "consortium.admin_site.ConsortiumAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # The portal's own apps. `consortium` hosts project-wide commands, checks and tags.
    "consortium",
    "accounts",
    "members",
    "audit",
    "outbox",
    "services",
    "dataprotection",
    "referrals",
    "reports",
    "applications",
    "procurement",
    "learning",
    "notifications",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every dynamic response is private, no-store unless its view declared it public (the
    # Open Referral feed) for a visitor not signed in; static files (WhiteNoise, above) stay cached.
    "consortium.middleware.PrivateByDefaultMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sets the member scope (and the PostgreSQL row-level security setting) for the request, from
    # the signed-in user's membership, inside the request's transaction.
    "members.middleware.MemberScopeMiddleware",
    # Staff (anyone with a member or consortium role) must set up a second factor first.
    "accounts.middleware.RequireStaffMFAMiddleware",
    # A service's refusal that a page did not catch becomes the page for its kind, never a 500.
    "consortium.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "consortium.urls"
WSGI_APPLICATION = "consortium.wsgi.application"
ASGI_APPLICATION = "consortium.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "consortium.context_processors.portal",
                "dataprotection.context_processors.sharing_agreement",
            ],
        },
    }
]

# --- Database ----------------------------------------------------------------------------------
# PostgreSQL only, everywhere. With no DATABASE_URL the portal uses the embedded server that
# `bin/demo` runs in var/postgres (same roles and row-level security as production).
_embedded_app_url, _embedded_owner_url = default_database_urls(VAR_DIR)
DATABASE_URL = env.url("DATABASE_URL", ["postgres", "postgresql"]) or _embedded_app_url
# Migrations run as the role that owns the tables; the application connects as a role that does
# not, so PostgreSQL row-level security applies to every query it makes.
DATABASE_OWNER_URL = env.url("DATABASE_OWNER_URL", ["postgres", "postgresql"]) or (
    _embedded_owner_url if env.str("DATABASE_URL") is None else None
)
# The role the application connects as; migrations grant it what it needs and nothing more.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE") or dj_database_url.parse(DATABASE_URL).get("USER")

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", 5, minimum=1
)
DATABASES["default"]["OPTIONS"]["application_name"] = "consortium-portal"
# The demo's own server (bin/demo runs it and sets DATABASE_URL to its socket).
EMBEDDED_DATABASE = DATABASES["default"]["HOST"] == dj_database_url.parse(_embedded_app_url)["HOST"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (rate limits) and Celery broker -------------------------------------------------
REDIS_URL = env.url("REDIS_URL", ["redis", "rediss"])
EMBEDDED_BROKER = REDIS_URL is None
CACHE_KEY_PREFIX = cache_key_prefix(
    django_env=DJANGO_ENV, database_url=DATABASE_URL, explicit=env.str("CACHE_KEY_PREFIX")
)
if REDIS_URL:
    CACHES = {
        "default": {
            # RedisCache that counts in this process's memory while Redis is down, so a Redis
            # outage never turns sign-in or the API into a 500 (consortium/cache.py).
            "BACKEND": "consortium.cache.DegradingRedisCache",
            "LOCATION": env.str("CACHE_URL", REDIS_URL),
            # Per deployment (consortium/cache_prefix.py), so two portals can share a Redis.
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # A dead Redis must not hang a request: fail within a second, then leave it alone
            # for five before asking again.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "DEGRADED_RETRY_SECONDS": 5,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (see consortium/celery.py for the beat schedule) -------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", REDIS_URL or "memory://")
# Embedded mode: tasks run in-process at the moment they are sent.
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_BROKER
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged only when it has finished, and put back when its worker dies, so work
# in progress survives a killed worker; every task is therefore written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
# A request that publishes must never hang on a dead broker: the outbox keeps the work and the
# relay tries again, so publishing fails fast instead of retrying.
CELERY_BROKER_CONNECTION_TIMEOUT = env.int("CELERY_BROKER_CONNECTION_TIMEOUT", 2, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 5,
    # Longer than the slowest task (report generation), or Redis would hand a running task to a
    # second worker.
    "visibility_timeout": 3600,
}
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", 200, minimum=1)
# A relayed message not consumed within this many seconds is sent again: the broker lost it (a
# Redis restarted without persistence) or its worker died. Longer than a busy queue's wait, so a
# duplicate is rare; consumers shrug off the duplicates that do happen.
OUTBOX_VISIBILITY_SECONDS = env.int("OUTBOX_VISIBILITY_SECONDS", 300, minimum=10)
# A submitted referral the routing engine has not decided after this long is routed by the
# routing sweep and shown on the coordinator's console until it is.
ROUTING_SWEEP_AFTER_SECONDS = env.int("ROUTING_SWEEP_AFTER_SECONDS", 300, minimum=30)

# --- Authentication (django-allauth) -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if TESTING and env.bool("FAST_PASSWORD_HASHER", True):
    # Thousands of users are created in tests; Argon2 is tested on its own (test_settings.py).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Consortium portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# allauth's rate limits are on by default; they count in the cache, which is Redis when
# REDIS_URL is set, so every web process shares the counts (each process counts on its own
# while Redis is down, consortium/cache.py).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "5/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "10/m/ip",
}
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Consortium portal"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_PASSKEY_LOGIN_ENABLED = False

# Sessions live in the database (they survive a Redis outage) and end after inactivity.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", 30, minimum=5) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Security headers ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/(?:live/|ready/)?$"]
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Deploy checks (security checks, issue 9) ----------------------------------------------------
# HSTS preloading binds the whole registrable domain and every subdomain, and is slow to undo: the
# domain's owner opts in with SECURE_HSTS_PRELOAD=true. Until then its warning is expected, so it is
# silenced and `check --deploy --fail-level WARNING` still fails on every other warning.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("bn", _("Bengali")),
    ("pl", _("Polish")),
    ("so", _("Somali")),
    ("ur", _("Urdu")),
]
# Names in their own language, for the language picker.
LANGUAGE_NATIVE_NAMES = {
    "en": "English",
    "ar": "العربية",
    "bn": "বাংলা",
    "pl": "Polski",
    "so": "Soomaali",
    "ur": "اردو",
}
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    # WhiteNoise serves from the finders outside production; an empty root keeps it quiet.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads (procurement documents, generated reports) are private: there is no MEDIA_URL route and
# files are only ever served by views that check who is asking.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT") or VAR_DIR / "private")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email ----------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Consortium portal <no-reply@portal.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SERVER = env.str("EMAIL_HOST")
MAILERS: dict[str, dict[str, Any]]
if TESTING:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
elif EMAIL_SERVER:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_SERVER,
                "port": env.int("EMAIL_PORT", 587, minimum=1),
                "username": env.str("EMAIL_HOST_USER", ""),
                "password": env.str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env.bool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    # Without a mail server, messages are written to files (never to the log: they hold
    # personal data) so a tester can read the sign-in codes the demo sends.
    if PRODUCTION:
        raise EnvError("EMAIL_HOST must be set when DJANGO_ENV=production")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

# --- Text messages (GOV.UK Notify) ----------------------------------------------------------------
# "notify" sends through GOV.UK Notify; "file" writes each text to SMS_FILE_PATH (the demo and the
# tests, like the email file backend). Production defaults to Notify, and `check --deploy` says
# what is missing (consortium/checks.py) rather than texts quietly going to files.
SMS_BACKEND = env.choice("SMS_BACKEND", "notify" if PRODUCTION else "file", ["notify", "file"])
SMS_FILE_PATH = Path(env.str("SMS_FILE_PATH") or VAR_DIR / "sms")
# One Notify template whose whole body is ((body)): the portal renders each text itself, in the
# resident's language, so there is no template per kind and language to keep in step in Notify.
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY")
NOTIFY_SMS_TEMPLATE_ID = env.str("NOTIFY_SMS_TEMPLATE_ID")
NOTIFY_BASE_URL = env.str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
# A text that Notify has not answered within this many seconds is retried later (the outbox).
NOTIFY_TIMEOUT_SECONDS = env.int("NOTIFY_TIMEOUT_SECONDS", 10, minimum=1)

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer first: an unauthenticated call gets 401 with `WWW-Authenticate: Bearer`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three, with the JSON one bounded in nesting (a deep body is a 400, not a 500).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", "60/minute"),
        "user": env.str("API_USER_RATE", "600/minute"),
        # Public application create, per client address, on top of "anon".
        "applications": env.str("API_APPLICATION_RATE", "20/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consortium portal API",
    "DESCRIPTION": (
        "Referrals, outcomes, services, procurement and learning of the consortium's members. "
        "Authenticate with a personal token (`Authorization: Bearer hcp_...`, created at "
        "/api/tokens/) or a signed-in browser session. Everything is scoped to your own "
        "member: another member's records answer 404, exactly like records that do not exist. "
        'Errors are `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Schema generation reads models with no member scope: member-owned models' default manager
    # fails closed, so it uses the base manager (it only ever builds empty querysets).
    "DEFAULT_QUERY_MANAGER": "_base_manager",
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "ServiceStatusEnum": "services.models.ServiceStatus",
        "ContractStatusEnum": "procurement.models.ContractStatus",
        "BookingStatusEnum": "learning.models.BookingStatus",
    },
    # Swagger UI and ReDoc from drf-spectacular-sidecar: no CDN, the portal serves them.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: no personal data, ever. Log ids and references, not names or contact details. ----
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Request lines can carry personal data in query strings; gunicorn's access log is enough.
        "django.request": {"level": "ERROR"},
        # WeasyPrint logs every layout step of every page at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Portal ---------------------------------------------------------------------------------------
PORTAL_NAME = env.str("PORTAL_NAME", "Housing Consortium Shared Services")
DEMO_MODE = env.bool("DEMO_MODE", not PRODUCTION)
if DEMO_MODE:
    # The demo and scale data generators (seed_demo, load_scale, demo_totp) live in a development
    # app that production never installs and the image does not ship (.dockerignore).
    if importlib.util.find_spec("devdata") is None:
        raise EnvError("DEMO_MODE needs the devdata app, which this installation does not ship")
    INSTALLED_APPS.append("devdata")
# The demo TOTP secret lets a tester sign in as demo staff; it is never used outside DEMO_MODE.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOONLY234567AB"  # noqa: S105 - public, demo only
SCOPE_AUDIT_CONSORTIUM = True
HEALTH_CHECK_TIMEOUT = 2
