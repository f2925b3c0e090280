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

    # Safe under load and attack (README "Security").
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger request bodies answer 413")
    max_concurrent_requests: int | None = Field(
        default=None,
        ge=1,
        description="API requests running at once; by default what the database pool can serve (its size and "
        "overflow, less two for the scheduler), at most 38 (the thread pool's 40 less two)",
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
