"""Configuration from the environment (prefix BUURTBANK_), read once by the entry points and passed down."""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class MissingSecretKey(RuntimeError):
    pass


class PasswordCost(NamedTuple):
    """argon2 parameters for new password hashes (services.passwords.configure)."""

    time_cost: int
    memory_kib: int
    parallelism: int


# A secret shorter than this is refused in production: HS256 keys should be at least as long as the hash.
MIN_SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUURTBANK_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default="sqlite:///./buurtbank.db",
        description="SQLAlchemy URL; postgresql+psycopg://user@host/db for PostgreSQL",
    )
    secret_key: str | None = Field(default=None, description="signs access tokens; required outside development")
    secret_file: Path = Field(default=Path(".buurtbank-secret"), description="where development keeps its secret")
    antennas_dir: Path = Path("antennas")
    access_token_minutes: int = Field(default=15, ge=1, description="lifetime of an access token")
    login_max_failures: int = 5
    login_window_minutes: int = 15
    geocoder: str = Field(default="gazetteer", description="gazetteer (offline) or nominatim (needs a network)")
    geocoder_user_agent: str = "buurtbank"
    scheduler_enabled: bool = True
    expiry_interval_minutes: int = 60
    reminder_interval_minutes: int = 60 * 24
    # Statistics releases (stats/): differential privacy parameters, see README "Statistics releases".
    stats_release_minutes: int = Field(
        default=60, ge=1, description="how often the scheduler releases the windows that have closed"
    )
    stats_release_delay_days: int = Field(
        default=7, ge=0, description="a window is released this many days after it ends (late confirmations count)"
    )
    stats_epsilon_month: float = Field(default=1.0, gt=0, description="epsilon spent by one antenna's month release")
    stats_epsilon_quarter: float = Field(
        default=2.0, gt=0, description="epsilon spent by one antenna's quarter release"
    )
    stats_budget_per_quarter: float = Field(
        default=5.0, gt=0, description="the most one antenna's quarter and its months may spend together (accountant)"
    )
    stats_bound_exchanges: int = Field(default=12, ge=1, description="exchanges counted per member per quarter")
    stats_bound_minutes: int = Field(
        default=900, ge=1, description="minutes given + received counted per member per quarter"
    )
    stats_bound_partners: int = Field(default=6, ge=1, description="partners counted per member per quarter")
    stats_bound_posts: int = Field(
        default=6, ge=1, description="offers, requests, proposals counted per member per quarter"
    )
    stats_bound_pool_minutes: int = Field(default=600, ge=1, description="pool minutes counted per member per quarter")

    password_time_cost: int | None = Field(
        default=None, ge=1, description="argon2 passes; default: argon2-cffi's (RFC 9106), 1 under test"
    )
    password_memory_kib: int | None = Field(
        default=None, ge=8, description="argon2 memory in KiB; default: argon2-cffi's (64 MiB), 64 KiB under test"
    )
    password_parallelism: int | None = Field(default=None, ge=1, description="argon2 lanes; default 4, 1 under test")

    def password_hashing(self) -> PasswordCost:
        """argon2 costs: as set, else argon2-cffi's defaults; the test environment hashes cheaply."""
        base = PasswordCost(DEFAULT_TIME_COST, DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM)
        if self.environment is Environment.TEST:
            base = PasswordCost(time_cost=1, memory_kib=64, parallelism=1)
        return PasswordCost(
            time_cost=self.password_time_cost or base.time_cost,
            memory_kib=self.password_memory_kib or base.memory_kib,
            parallelism=self.password_parallelism or base.parallelism,
        )

    # Accounts for everyone (issue 12): sessions, one-time codes, throttling per client, mail.
    refresh_token_days: int = Field(default=30, ge=1, description="a session lasts this long without a login")
    login_code_days: int = Field(default=30, ge=1, description="how long a desk enrolment's login code is valid")
    reset_code_hours: int = Field(default=24, ge=1, description="how long a password reset code is valid")
    client_max_failures: int = Field(
        default=50, ge=1, description="failed logins, resets and code attempts per client (IP) per window"
    )
    client_max_registrations: int = Field(default=30, ge=1, description="registrations per client (IP) per window")
    client_window_minutes: int = Field(default=15, ge=1)
    smtp_host: str | None = Field(default=None, description="an SMTP relay for reset-code mail; none: no mail")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "BuurtBank <no-reply@buurtbank.invalid>"

    meeting_reminder_interval_minutes: int = Field(
        default=60, ge=1, description="how often the scheduler looks for meetings starting within a day"
    )
    push_interval_seconds: int = Field(default=60, ge=5, description="how often the push sender runs")
    expo_push_host: str | None = Field(
        default=None, description="Expo push service base URL (default: the SDK's, https://exp.host)"
    )
    expo_access_token: str | None = Field(default=None, description="Expo access token, if push security is on")
    webpush_vapid_private_key: str | None = Field(
        default=None, description="VAPID private key (PEM or base64url DER); without it Web Push is off"
    )
    webpush_vapid_subject: str = Field(
        default="mailto:admin@buurtbank.invalid", description="VAPID subject: a mailto: or https: contact"
    )
    events_poll_seconds: float = Field(default=2.0, gt=0, description="how often an event stream looks for news")
    events_max_seconds: float = Field(
        default=300.0, gt=0, description="an event stream ends after this long; clients reconnect with Last-Event-ID"
    )

    console_waiting_days: int = Field(
        default=3,
        ge=1,
        le=365,
        description="the console lists a planned exchange as waiting for confirmation this many days after planning",
    )

    public_url: str | None = Field(
        default=None, description="the API's public base URL, listed as the server in the OpenAPI document"
    )

    # Safe under load and attack (README "Security").
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger request bodies answer 413")
    max_concurrent_requests: int | None = Field(
        default=None,
        ge=1,
        description="API requests running at once; by default what the database pool can serve (its size and "
        "overflow, less two for the scheduler), at most 38 (the thread pool's 40 less two)",
    )
    max_running_requests: int | None = Field(
        default=None,
        ge=1,
        description="of those, requests taking their turn at once in one process (the others wait for a turn, "
        "or start beside one that has run longer than BUURTBANK_SLOW_REQUEST_SECONDS); by default 1 on SQLite "
        "and 2 on PostgreSQL, whose requests also wait on the network",
    )
    slow_request_seconds: float = Field(
        default=0.010, gt=0, description="a request running this long gives its turn to the next one and goes on"
    )
    request_queue_size: int = Field(default=1000, ge=0, description="requests waiting for a turn; beyond: 503")
    request_queue_timeout_seconds: float = Field(
        default=30, gt=0, description="a request that waited this long for its turn answers 503"
    )
    busy_retry_after_seconds: int = Field(default=2, ge=1, description="Retry-After on a 503")
    cors_origins: list[str] = Field(
        default_factory=list,
        description='browser origins allowed to call the API, as a JSON list (["https://app.example.org"]); '
        "none by default",
    )

    def resolved_secret_key(self) -> str:
        """The signing key. Development may invent one and keep it in a local file; nothing else may."""
        if self.secret_key:
            if self.environment is Environment.PRODUCTION and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
                raise MissingSecretKey(
                    f"BUURTBANK_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes. In production the service "
                    "refuses to start with a short key: set it to a long random value, for example the output of "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
                )
            return self.secret_key
        if self.environment is Environment.PRODUCTION:
            raise MissingSecretKey(
                "BUURTBANK_SECRET_KEY is not set. Outside development the service refuses to start without it: "
                "set it to a long random value, for example the output of "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            )
        if self.secret_file.exists():
            return self.secret_file.read_text().strip()
        key = secrets.token_urlsafe(48)
        self.secret_file.write_text(key + "\n")
        self.secret_file.chmod(0o600)
        return key
