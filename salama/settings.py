"""Salama's one settings file. Everything a deployment changes comes from the environment
(docs/configuration.md lists each variable)."""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import xstatic.pkg.leaflet as xstatic_leaflet
from django.utils.translation import gettext_lazy as _

from salama.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("SALAMA_VAR_DIR", str(BASE_DIR.parent / "var")))

# Demo mode: generated secrets under var/, demo logins, a TOTP secret printed at start.
DEMO = env_bool("SALAMA_DEMO")
DEMO_SECRET_FILE = VAR_DIR / "demo" / "secret_key"


def _secret_key() -> tuple[str, bool]:
    """Return (key, is_demo). A missing or demo key is refused by `salama serve` and the WSGI
    application outside demo mode (salama.lib.startup.check_deployment)."""
    configured = env_str("SALAMA_SECRET_KEY")
    if configured:
        demo_key = DEMO_SECRET_FILE.read_text().strip() if DEMO_SECRET_FILE.exists() else None
        return configured, configured == demo_key or configured.startswith("demo-")
    if DEMO_SECRET_FILE.exists():
        return DEMO_SECRET_FILE.read_text().strip(), True
    return "unset-" + secrets.token_urlsafe(40), True


SECRET_KEY, SECRET_KEY_IS_DEMO = _secret_key()
DEBUG = env_bool("SALAMA_DEBUG")
ALLOWED_HOSTS = env_list("SALAMA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("SALAMA_CSRF_TRUSTED_ORIGINS")

# Salama's apps come first so their Arabic catalogues win over Django's own wording.
INSTALLED_APPS = [
    "salama.accounts",
    "salama.people",
    "salama.safety",
    "salama.alerts",
    "salama.messaging",
    "salama.privacy",
    "salama.rollcalls",
    "salama.facilities",
    "salama.evidence",
    "salama.incidents",
    "salama.reports",
    "salama.evacuation",
    "salama.webhooks",
    "salama.negotiations",
    "salama.worker",
    "salama.demo",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "csp",
    "ninja",
]
# The benchmarks' framework floor (bench/, docs/benchmarks.md): a bare view inserting one row,
# installed only for `make bench`, never in a deployment.
BENCH_FLOOR = env_bool("SALAMA_BENCH_FLOOR")
if BENCH_FLOOR:
    INSTALLED_APPS.append("salama.bench_floor")

MIDDLEWARE = [
    # Token-authenticated API requests take a short chain of their own (salama.lib.middleware).
    "salama.lib.middleware.api_dispatch",
    "django.middleware.security.SecurityMiddleware",
    "salama.lib.middleware.security_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "salama.accounts.middleware.current_organisation",
    "salama.accounts.middleware.session_guard",
    "salama.timezones.viewer_time_zone",  # one time-zone rule: the viewer's (U1 item 3)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "salama.urls"
WSGI_APPLICATION = "salama.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salama.accounts.context.organisation",
                "salama.context.alert_banner",
                "salama.timezones.zone_name",
            ],
            # The main navigation's sections (salama/navigation.py, templates/nav.html).
            "libraries": {"salama_nav": "salama.navigation"},
            # Names in the reader's language, everywhere (salama/lib/names.py, U1 item 5).
            "builtins": ["salama.lib.names"],
        },
    }
]

# --- Databases -------------------------------------------------------------------------------
# PostgreSQL through DATABASE_URL; the embedded default is SQLite in WAL mode with a busy timeout
# and immediate transactions (so writers queue instead of failing), served by one worker.
DATABASE_URL = env_str("DATABASE_URL")
PREPARE_THRESHOLD = env_int("SALAMA_DB_PREPARE_THRESHOLD", 5)  # see below; 0: off
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # Prepared statements (docs/benchmarks.md): psycopg binds parameters on the server and
    # prepares a statement once a connection has run it SALAMA_DB_PREPARE_THRESHOLD times; the
    # check-in path runs the same few statements over and over, and PostgreSQL then skips
    # parsing and planning them. 0 turns both off (client-side binding, Django's default): for
    # a transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21).
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and PREPARE_THRESHOLD > 0:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=PREPARE_THRESHOLD
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "salama.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Keys -------------------------------------------------------------------------------------
# The keyring lives outside the database and is never backed up with it (docs/operations.md).
# The evidence ledger: the host part of each organisation's log origin and key name
# (<host>/ledger/<org id>), and the fixed checkpoint schedule in minutes.
EVIDENCE_HOST = env_str("SALAMA_EVIDENCE_HOST", "salama.invalid")
EVIDENCE_CHECKPOINT_MINUTES = env_int("SALAMA_EVIDENCE_CHECKPOINT_MINUTES", 60)
KEYRING_DIR = Path(env_str("SALAMA_KEYRING_DIR", str(VAR_DIR / "keys")))
MASTER_KEY = env_str("SALAMA_MASTER_KEY")  # base64; else KEYRING_DIR/master.key
# Key unlock mode (KEYRING_DIR/master.sealed): the master key is wrapped by an operator passphrase
# and unlocked at start, from this file or by `salama keys unlock` into UNLOCKED_KEY_DIR (RAM).
MASTER_PASSPHRASE_FILE = env_str("SALAMA_MASTER_PASSPHRASE_FILE")
UNLOCKED_KEY_DIR = Path(env_str("SALAMA_UNLOCKED_KEY_DIR", "/run/salama"))

# --- Sessions and passwords ---------------------------------------------------------------------
SESSION_ENGINE = "salama.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SALAMA_SESSION_AGE", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SALAMA_SECURE_COOKIES", not DEMO and not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_RATE_PER_ADDRESS = env_int("SALAMA_LOGIN_RATE_PER_ADDRESS", 20)
LOGIN_RATE_PER_ACCOUNT = env_int("SALAMA_LOGIN_RATE_PER_ACCOUNT", 8)
LOGIN_RATE_WINDOW = env_int("SALAMA_LOGIN_RATE_WINDOW", 900)
# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed:
# the client address is then the rightmost entry they did not add (docs/operations.md).
TRUSTED_PROXIES = env_list("SALAMA_TRUSTED_PROXIES")

# --- Second factor and session limits (docs/operations.md, "Logging in") -----------------
# Roles that must pass a second factor (security key or passkey; an approved TOTP as fallback)
# before any page; anyone who enrolled a factor is asked for it too.
SECOND_FACTOR_ROLES = ("org_admin", "coordinator", "liaison")
# The Django admin at /deployment-admin/ (superusers, after Salama's login and second factor).
# Off by default: org admins manage members at /accounts/members/ (docs/operations.md).
DEPLOYMENT_ADMIN = env_bool("SALAMA_DEPLOYMENT_ADMIN")
SESSION_IDLE_TIMEOUT = env_int("SALAMA_SESSION_IDLE", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SALAMA_SESSION_ABSOLUTE", SESSION_COOKIE_AGE)
REAUTH_WINDOW = env_int("SALAMA_REAUTH_SECONDS", 5 * 60)
# Per-account back-off: after LOGIN_RATE_PER_ACCOUNT failures each further one doubles the wait,
# from LOGIN_BACKOFF_BASE up to LOGIN_BACKOFF_MAX seconds; the count is forgotten after
# LOGIN_BACKOFF_DECAY seconds without failures. A browser that has logged in to the account before
# (a signed "known device" cookie) is not held back by it.
LOGIN_BACKOFF_BASE = env_int("SALAMA_LOGIN_BACKOFF_BASE", 30)
LOGIN_BACKOFF_MAX = env_int("SALAMA_LOGIN_BACKOFF_MAX", 15 * 60)
LOGIN_BACKOFF_DECAY = env_int("SALAMA_LOGIN_BACKOFF_DECAY", 3600)
OTP_TOTP_ISSUER = "Salama"
OTP_WEBAUTHN_RP_NAME = "Salama"
OTP_WEBAUTHN_RP_ID = env_str("SALAMA_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "SALAMA_WEBAUTHN_ORIGINS", f"http://localhost:{env_str('PORT', '8000')}"
)
# A security key is a second factor after the password, never a password replacement.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "salama.accounts.webauthn.Helper"

# --- Security headers and Content Security Policy -----------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SALAMA_SSL_REDIRECT")
SECURE_HSTS_SECONDS = env_int("SALAMA_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SALAMA_BEHIND_PROXY") else None
)

# Map tiles: Leaflet loads tiles from this URL template; an empty value means "no tiles" and the
# maps still show areas and facilities over a blank background.
MAP_TILE_URL = env_str("SALAMA_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("SALAMA_MAP_TILE_ATTRIBUTION", "")


def _tile_origin(url: str) -> list[str]:
    parts = urlsplit(url.replace("{s}", "a"))
    if not parts.scheme or not parts.netloc:
        return []
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return [f"{parts.scheme}://{host}"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_tile_origin(MAP_TILE_URL)],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- Languages --------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", xstatic_leaflet.BASE_DIR)]
WHITENOISE_USE_FINDERS = True

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_HOST = env_str("SALAMA_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("SALAMA_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("SALAMA_SMTP_USER")
EMAIL_HOST_PASSWORD = env_str("SALAMA_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("SALAMA_SMTP_STARTTLS")
DEFAULT_FROM_EMAIL = env_str("SALAMA_MAIL_FROM", "salama@localhost")

# --- Logging: structured lines, ids only ----------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "salama.lib.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("SALAMA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Worker -------------------------------------------------------------------------------------
WORKER_IDLE_SLEEP = 1.0
# /metrics (Prometheus text format) answers only with this bearer token; unset, it is off.
METRICS_TOKEN = env_str("SALAMA_METRICS_TOKEN")
WORKER_LOCK_FILE = VAR_DIR / "worker.lock"

# --- Alerts (docs/alerts.md) --------------------------------------------------------------------
# An unacknowledged life-safety alert moves up the ladder after this many seconds.
ALERT_ESCALATE_AFTER = env_int("SALAMA_ALERT_ESCALATE_AFTER", 600)
# At most one routine text (digest, outage) per recipient per this many seconds.
ALERT_DIGEST_WINDOW = env_int("SALAMA_ALERT_DIGEST_WINDOW", 300)

# --- Outbox (docs/channels.md) ----------------------------------------------------------------
# Channels: SMS numbers go to the console channel until gateways exist; e-mail to SMTP (console
# in the demo). The console channel writes each send to its own sink file ("-": stdout).
OUTBOX_SMS_CHANNEL = env_str("SALAMA_SMS_CHANNEL", "console")
OUTBOX_EMAIL_CHANNEL = env_str("SALAMA_EMAIL_CHANNEL", "console" if DEMO else "smtp")
OUTBOX_CONSOLE_SINK = env_str("SALAMA_CONSOLE_SINK", str(VAR_DIR / "outbox" / "console.jsonl"))
OUTBOX_SMTP_TIMEOUT = env_int("SALAMA_SMTP_TIMEOUT", 15)
# A claimed delivery is leased; a worker that dies leaves it to be claimed again after this.
OUTBOX_LEASE_SECONDS = float(env_str("SALAMA_OUTBOX_LEASE_SECONDS", "60"))
OUTBOX_BATCH_SIZE = env_int("SALAMA_OUTBOX_BATCH", 100)
# Hand-offs under way at once per worker on a channel that allows it (the SMS gateways: each
# hand-off is one HTTP POST); 1: one after the other. The results are recorded as they come.
OUTBOX_SEND_CONCURRENCY = env_int("SALAMA_OUTBOX_CONCURRENCY", 2)
OUTBOX_MAX_ATTEMPTS = env_int("SALAMA_OUTBOX_MAX_ATTEMPTS", 6)
OUTBOX_BACKOFF_BASE = 30.0  # seconds, doubled per attempt, with jitter
OUTBOX_LIFE_SAFETY_BACKOFF_BASE = 5.0
OUTBOX_BACKOFF_MAX = 3600.0
# Token buckets created on first use: channel -> (messages per second, burst capacity). Operators
# change the RateBucket rows afterwards (docs/channels.md).
OUTBOX_RATES = {
    "console": (50.0, 50.0),
    "smtp": (5.0, 10.0),
    # SMS gateways (M1): a Twilio long code sends about one text a second; a JSON gateway with
    # its own SIM bank or SMPP link takes more.
    "http_json": (10.0, 20.0),
    "twilio": (1.0, 10.0),
}
# Seconds to wait for an SMS gateway's answer before the hand-off counts as failed (retried).
OUTBOX_GATEWAY_TIMEOUT = float(env_str("SALAMA_GATEWAY_TIMEOUT", "10"))
OUTBOX_DEFAULT_RATE = (1.0, 5.0)
# Roll calls (M2): an answer without a sender-side time, received this soon after the roll call
# was handed off, may have been sent before it ("timing unknown"); price per SMS segment by
# channel (organisations override it with their setting "channel_prices").
ROLLCALL_UNKNOWN_WINDOW_MINUTES = float(env_str("SALAMA_ROLLCALL_UNKNOWN_WINDOW", "10"))
CHANNEL_PRICES = {"console": 0.0, "http_json": 0.05, "twilio": 0.08, "android": 0.02}
# Android phone gateways (M2): a phone that polled within this many minutes counts as present
# when texts are routed to phones on the recipient's operator.
ANDROID_PRESENT_MINUTES = float(env_str("SALAMA_ANDROID_PRESENT_MINUTES", "10"))
# The gateway watchdog (M2, docs/channels.md): silent after this many minutes without a text,
# for a gateway that received at least WATCHDOG_MIN_INBOUND in the WATCHDOG_BASELINE_DAYS before;
# failing after WATCHDOG_FAILURES failed attempts without a hand-off in WATCHDOG_WINDOW_MINUTES.
WATCHDOG_SILENCE_MINUTES = float(env_str("SALAMA_WATCHDOG_SILENCE_MINUTES", "120"))
WATCHDOG_MIN_INBOUND = env_int("SALAMA_WATCHDOG_MIN_INBOUND", 5)
WATCHDOG_BASELINE_DAYS = 7.0
WATCHDOG_FAILURES = env_int("SALAMA_WATCHDOG_FAILURES", 5)
WATCHDOG_WINDOW_MINUTES = 30.0
