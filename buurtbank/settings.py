"""Configuration from the environment (prefix BUURTBANK_), read once by the entry points and passed down."""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class MissingSecretKey(RuntimeError):
    pass


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
    access_token_minutes: int = 60 * 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    geocoder: str = Field(default="gazetteer", description="gazetteer (offline) or nominatim (needs a network)")
    geocoder_user_agent: str = "buurtbank"
    scheduler_enabled: bool = True
    expiry_interval_minutes: int = 60
    reminder_interval_minutes: int = 60 * 24
    stats_refresh_minutes: int = Field(
        default=10, ge=1, description="how often the scheduler re-checks the statistics and recomputes changed quarters"
    )
    stats_max_age_minutes: int = Field(
        default=15,
        ge=0,
        description="a cached statistics block checked this recently is served without re-checking its data "
        "(0: every request re-checks); older ones are re-checked, and recomputed if their data changed",
    )

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

    def resolved_secret_key(self) -> str:
        """The signing key. Development may invent one and keep it in a local file; nothing else may."""
        if self.secret_key:
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
