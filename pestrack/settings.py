"""Django settings, read from the environment.

Development (the default) works with no environment at all: an SQLite file in the working
directory and fixed development keys. Production (``PESTRACK_PRODUCTION=1``) refuses to start
unless the secret key, the identity-number key and the allowed hosts are set.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent

PRODUCTION = os.environ.get("PESTRACK_PRODUCTION", "") in {"1", "true", "yes"}

_DEV_SECRET = "dev-only-secret-key-not-for-production-0123456789abcdef"
# 32 bytes, urlsafe base64. Only for development and tests: production must set its own.
_DEV_IDENTITY_KEY = "ZGV2LW9ubHktaWRlbnRpdHkta2V5LW5vdC1mb3ItcHJvZA=="


def _require(name: str, dev_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when PESTRACK_PRODUCTION=1")
    return dev_default


SECRET_KEY = _require("PESTRACK_SECRET_KEY", _DEV_SECRET)
# Key that encrypts identity numbers at rest and keys their look-up hash (see records.identity).
PESTRACK_IDENTITY_KEY = _require("PESTRACK_IDENTITY_KEY", _DEV_IDENTITY_KEY)
# Key of the pseudonymous person ids in the analytics tables (see analytics.pseudonym); keep it apart
# from the identity key, so that holding analytics data and this key still reveals no identity number.
PESTRACK_PSEUDONYM_KEY = _require("PESTRACK_PSEUDONYM_KEY", "dev-only-pseudonym-key-not-for-production")
DEBUG = not PRODUCTION and os.environ.get("PESTRACK_DEBUG", "1") in {"1", "true", "yes"}
ALLOWED_HOSTS = [h for h in _require("PESTRACK_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",") if h]

# Number of reverse proxies in front of the application whose X-Forwarded-For is trusted (0: none).
PESTRACK_TRUSTED_PROXIES = int(os.environ.get("PESTRACK_TRUSTED_PROXIES", "0"))
PESTRACK_PROFILES_DIR = Path(os.environ.get("PESTRACK_PROFILES_DIR", REPO_DIR / "profiles"))


def _default_profile(folder: Path) -> str:
    """The profile used where none is named: the one in ``profiles/DEFAULT`` (the bundled default),
    else the first profile folder (folders starting with _ hold shared catalogues, not profiles)."""
    named = folder / "DEFAULT"
    if named.is_file():
        return named.read_text(encoding="utf-8").strip()
    found = sorted(p.name for p in folder.glob("*") if p.is_dir() and not p.name.startswith(("_", ".")))
    return found[0] if found else ""


PESTRACK_PROFILE = os.environ.get("PESTRACK_PROFILE") or _default_profile(PESTRACK_PROFILES_DIR)
# Disclosure control of every published figure: counts under this threshold are shown as <N, shares of
# fewer rows withheld (0: off). Unset: the profile's disclosure.suppress_below (docs/results.md).
PESTRACK_SUPPRESS_BELOW = (
    int(os.environ["PESTRACK_SUPPRESS_BELOW"]) if os.environ.get("PESTRACK_SUPPRESS_BELOW") else None
)

DATABASE_URL = os.environ.get("PESTRACK_DATABASE_URL", f"sqlite:///{Path.cwd() / 'pestrack.sqlite3'}")
if not DATABASE_URL.startswith(("sqlite:", "postgres:", "postgresql:")):
    raise ImproperlyConfigured(
        f"PESTRACK_DATABASE_URL must start with sqlite:/// or postgresql://, not {DATABASE_URL!r}"
    )
# Seconds a server thread keeps its database connection for the next request (0: a new connection
# per request, as in development); production keeps it a minute.
_CONN_MAX_AGE = int(os.environ.get("PESTRACK_DB_CONN_MAX_AGE", "60" if PRODUCTION else "0"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=_CONN_MAX_AGE)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("PESTRACK_TEST_SQLITE", "")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_pestrack_{os.getpid()}"}
    # No JIT compilation: the caseload's query is costed above jit_above_cost, and compiling it took
    # longer (about 190 ms at scale 10) than running it. A ?options= in the URL is kept as given.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

INSTALLED_APPS = [
    "pestrack.web.admin_config.AdminConfig",  # django.contrib.admin, for administrators only (web/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pestrack.records.codes",
    "pestrack.records.org",
    "pestrack.records.people",
    "pestrack.records.casework",
    "pestrack.records.employers",
    "pestrack.records.outreach",
    "pestrack.records.audit",
    "pestrack.records.fidelity",
    "pestrack.records.meetings",
    "pestrack.records.journal",
    "pestrack.records.documents",
    "pestrack.records.notifications",
    "pestrack.records.portal",
    "pestrack.records.profiling",
    "pestrack.records.practices",
    "pestrack.web",
    "ninja",  # serves the API docs page's assets itself, so nothing comes from a CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pestrack.urls"
WSGI_APPLICATION = "pestrack.wsgi.application"

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
            ],
        },
    },
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Static files (the admin's CSS and JS, API docs) are served by whitenoise straight from the
# installed packages, so no collectstatic step is needed; set PESTRACK_STATIC_ROOT to collect them.
STATIC_ROOT = os.environ.get("PESTRACK_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_AGE = 30 * 60
# The idle timeout: pestrack.web.security.SessionRenewalMiddleware renews the expiry once a minute.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "pestrack.web.sessions"  # Django's database sessions, read by plain SQL
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("PESTRACK_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Web application (pestrack.web, docs/web.md): security headers, log-in lock-out, idle timeout, language.
# A session ends after this many minutes without a request (the cookie is renewed on every request).
PESTRACK_SESSION_IDLE_MINUTES = int(os.environ.get("PESTRACK_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = PESTRACK_SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG  # cookies only over HTTPS outside development
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
INSTALLED_APPS += ["django.contrib.humanize", "axes", "csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "pestrack.web.preferences.UserLanguageMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
    "pestrack.web.security.SessionRenewalMiddleware",
)
MIDDLEWARE.append("pestrack.web.security.SecurityHeadersMiddleware")
MIDDLEWARE.append("pestrack.web.security.SessionEndedMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
AUTHENTICATION_BACKENDS = ["pestrack.web.security.LockoutBackend", "pestrack.web.security.UserBackend"]
_CSP_SELF, _CSP_NONE = "'self'", "'none'"
# No inline script or style anywhere: every script and style sheet is a static file of the application.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        "img-src": [_CSP_SELF, "data:"],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_NONE],
        "form-action": [_CSP_SELF],
        "frame-ancestors": [_CSP_NONE],
    }
}
# Lock-out after repeated failed log-ins (django-axes): an account is locked for the cool-off time after
# this many failures in a row, from any address; a successful log-in resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("PESTRACK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("PESTRACK_LOGIN_LOCKOUT_MINUTES", "15")) / 60  # hours
# Locked per user name, not per address: a municipality's offices reach the server from a few shared
# addresses, and one person's mistyped passwords must not lock out a whole office (docs/web.md).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # the warning that the lock-out is not per address: chosen, above
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "pestrack.records.access.client_address"
AXES_VERBOSE = False
LOGIN_URL = "login"
FORMAT_MODULE_PATH = ["pestrack.web.formats"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("pestrack.web.preferences.navigation")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PESTRACK_LOG_LEVEL", "WARNING")},
    # the logging SMS backend's messages (pestrack.records.notifications.sms): shown, not sent
    "loggers": {"pestrack.sms": {"level": "INFO"}},
}

# Results pages and API (pestrack.results, pestrack.web.results): the analytics tables they compute on.
# PESTRACK_ANALYTICS_DIR is a folder kept up to date by `pestrack analytics extract`; unset, the pages
# extract the database into PESTRACK_ANALYTICS_CACHE_DIR when that copy is older than
# PESTRACK_ANALYTICS_REFRESH seconds. PESTRACK_RESULTS_ENGINE: the indicator engine they run on,
# duckdb (default) or postgres (the server at PESTRACK_RESULTS_ENGINE_URL).
INSTALLED_APPS += ["pestrack.web.results"]
PESTRACK_ANALYTICS_DIR = os.environ.get("PESTRACK_ANALYTICS_DIR") or None
PESTRACK_ANALYTICS_CACHE_DIR = os.environ.get("PESTRACK_ANALYTICS_CACHE_DIR") or None
PESTRACK_ANALYTICS_REFRESH = int(os.environ.get("PESTRACK_ANALYTICS_REFRESH", "300"))
PESTRACK_RESULTS_ENGINE = os.environ.get("PESTRACK_RESULTS_ENGINE", "duckdb")
PESTRACK_RESULTS_ENGINE_URL = os.environ.get("PESTRACK_RESULTS_ENGINE_URL", "")
# The labour-market observatory (pestrack.web.lmi, docs/lmi.md): the folder of contract-event tables
# (`pestrack lmi import` / `lmi synth`) its public pages, open data and analysts' tier publish from.
PESTRACK_LMI_DIR = os.environ.get("PESTRACK_LMI_DIR") or None
# Saved evaluations (docs/practices.md): the JSON files of `pestrack evaluate --measure CODE --format json
# --out DIR/NAME.json`; the practice pages show each measure's estimated effect from them.
PESTRACK_EVALUATIONS_DIR = os.environ.get("PESTRACK_EVALUATIONS_DIR") or None

# Documents attached to persons (pestrack.records.documents, docs/operations.md): stored in this folder,
# outside the web root, under random names. Default: a folder beside the SQLite database (or in the
# working directory with PostgreSQL). Back it up together with the database.
_DB_DIR = (
    Path(DATABASES["default"]["NAME"]).resolve().parent
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else Path.cwd()
)
PESTRACK_DOCUMENTS_DIR = Path(os.environ.get("PESTRACK_DOCUMENTS_DIR") or _DB_DIR / "pestrack-documents")
# Benchlearning (docs/benchlearning.md): imported packages of partner PES are kept in this folder
# (default beside the database). PESTRACK_BENCHLEARNING_SIGNING_KEY: a file with this PES's Ed25519
# private key (PEM, `pestrack benchlearning keygen`); set, every exported package is signed.
# PESTRACK_BENCHLEARNING_TRUSTED_KEYS: a YAML file mapping each partner PES id to its public key
# (hex); a signed package is accepted only when its PES's key verifies it. The network's smallest
# publishable cell is PESTRACK_BENCHLEARNING_SUPPRESS_BELOW (default 5): export suppresses below it
# (or the profile's higher threshold), import refuses a package with a smaller cell.
PESTRACK_BENCHLEARNING_DIR = Path(os.environ.get("PESTRACK_BENCHLEARNING_DIR") or _DB_DIR / "pestrack-benchlearning")
PESTRACK_BENCHLEARNING_SIGNING_KEY = os.environ.get("PESTRACK_BENCHLEARNING_SIGNING_KEY") or None
PESTRACK_BENCHLEARNING_TRUSTED_KEYS = os.environ.get("PESTRACK_BENCHLEARNING_TRUSTED_KEYS") or None
PESTRACK_BENCHLEARNING_SUPPRESS_BELOW = int(os.environ.get("PESTRACK_BENCHLEARNING_SUPPRESS_BELOW", "5"))
# The largest document accepted, in bytes (default 10 MB).
PESTRACK_DOCUMENT_MAX_BYTES = int(os.environ.get("PESTRACK_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# The data protection officer's unusual-access view (pestrack.records.audit.review, docs/privacy.md):
# a user who reads PESTRACK_UNUSUAL_PERSONS distinct persons within PESTRACK_UNUSUAL_MINUTES minutes
# is listed; the view looks at the last PESTRACK_UNUSUAL_DAYS days unless given a period.
PESTRACK_UNUSUAL_PERSONS = int(os.environ.get("PESTRACK_UNUSUAL_PERSONS", "30"))
PESTRACK_UNUSUAL_MINUTES = int(os.environ.get("PESTRACK_UNUSUAL_MINUTES", "10"))
PESTRACK_UNUSUAL_DAYS = int(os.environ.get("PESTRACK_UNUSUAL_DAYS", "30"))

# Reminders to participants (pestrack.records.notifications, `pestrack notify run`, docs/notifications.md).
# E-mail goes through Django's e-mail framework: in production SMTP (PESTRACK_EMAIL_HOST ...); in
# development and the demo the messages are written as files to PESTRACK_EMAIL_FILE_PATH (default a
# folder beside the database) unless PESTRACK_EMAIL_BACKEND names another backend (e.g. console).
EMAIL_BACKEND = os.environ.get(
    "PESTRACK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("PESTRACK_EMAIL_FILE_PATH") or str(_DB_DIR / "pestrack-mail")
EMAIL_HOST = os.environ.get("PESTRACK_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PESTRACK_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PESTRACK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PESTRACK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("PESTRACK_EMAIL_TLS", "") in {"1", "true", "yes"}
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("PESTRACK_EMAIL_FROM", "pestrack@localhost")
# The sender of what goes to protected identities: an address that names neither the service nor the
# unit (the texts to them say nothing either). In production it must be set, or no e-mail goes to a
# protected identity (the service's own address would reveal it); elsewhere PESTRACK_EMAIL_FROM.
PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL = os.environ.get("PESTRACK_NOTIFY_NEUTRAL_FROM_EMAIL") or (
    "" if PRODUCTION else DEFAULT_FROM_EMAIL
)
# SMS: the class that sends (docs/notifications.md); the logging backend sends nothing, it writes to the log.
PESTRACK_SMS_BACKEND = os.environ.get("PESTRACK_SMS_BACKEND", "pestrack.records.notifications.sms.LoggingSmsBackend")
PESTRACK_SMS_SENDER = os.environ.get("PESTRACK_SMS_SENDER", "pestrack")
# The sender shown to protected identities: a number or a name that does not reveal the service.
PESTRACK_SMS_NEUTRAL_SENDER = os.environ.get("PESTRACK_SMS_NEUTRAL_SENDER", "")
# The participant portal (pestrack.web.portal, docs/portal.md). Participants sign in with the
# municipality's identity provider over OpenID Connect: its issuer (the discovery document is read
# from ISSUER/.well-known/openid-configuration), this service's client id and secret, and the claim
# of the ID token that carries the personal identity number. Empty issuer: the method is off.
PESTRACK_OIDC_ISSUER = os.environ.get("PESTRACK_OIDC_ISSUER", "").rstrip("/")
PESTRACK_OIDC_CLIENT_ID = os.environ.get("PESTRACK_OIDC_CLIENT_ID", "")
PESTRACK_OIDC_CLIENT_SECRET = os.environ.get("PESTRACK_OIDC_CLIENT_SECRET", "")
PESTRACK_OIDC_IDENTITY_CLAIM = os.environ.get("PESTRACK_OIDC_IDENTITY_CLAIM", "personal_identity_number")
PESTRACK_OIDC_SCOPES = os.environ.get("PESTRACK_OIDC_SCOPES", "openid")
PESTRACK_OIDC_SIGN_ALGO = os.environ.get("PESTRACK_OIDC_SIGN_ALGO", "RS256")
# One-time sign-in links (`pestrack portal link`, the person page's "send a sign-in link"): on in
# development, off in production unless PESTRACK_PORTAL_LINKS=1 says otherwise (they bypass the
# identity provider).
PESTRACK_PORTAL_LINKS = os.environ.get("PESTRACK_PORTAL_LINKS", "0" if PRODUCTION else "1") in {"1", "true", "yes"}
# E-mails with sign-in links go through the e-mail settings above (files in development and the demo).
# The portal's third and further languages come from the profile (portal.languages in profile.yaml),
# their translations from the profile's locale folder.
LOCALE_PATHS.append(PESTRACK_PROFILES_DIR / PESTRACK_PROFILE / "locale")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("pestrack.web.portal.languages.context")
# Portal sessions and staff sessions are kept apart (web/portal/middleware.py): right after the
# session middleware, so that nothing else sees a session of the wrong kind.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "pestrack.web.portal.middleware.PortalMiddleware",
)
