"""Configuration: one object, read from CIVICGRID_* environment variables."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "civicgrid-development-secret-change-me"
DEFAULT_DATA_DIR = Path("var")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything the platform reads from its environment.

    Production refuses the development secret, because session tokens and
    API keys are HMAC-ed with it: a known secret would let anyone forge them.
    """

    model_config = SettingsConfigDict(env_prefix="CIVICGRID_", env_file=None, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = ""
    data_dir: Path = DEFAULT_DATA_DIR
    secret_key: str = DEFAULT_SECRET_KEY
    default_locale: str = "zh-CN"
    tile_url: str = ""
    tile_attribution: str = ""
    session_hours: float = Field(default=12.0, gt=0)
    token_minutes: float = Field(default=60.0, gt=0)
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15.0, gt=0)
    # Argon2id cost (RFC 9106 second recommended profile by default); tests lower it.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=1024)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> "Settings":
        if self.environment is Environment.PRODUCTION and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "CIVICGRID_SECRET_KEY must be set to a private value in production "
                "(生产环境必须设置 CIVICGRID_SECRET_KEY)"
            )
        if self.environment is Environment.PRODUCTION and len(self.secret_key) < 32:
            raise ValueError("CIVICGRID_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def effective_database_url(self) -> str:
        """The embedded SQLite file under the data directory unless a URL is given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'civicgrid.db').as_posix()}"

    @property
    def cookie_secure(self) -> bool:
        return self.environment is Environment.PRODUCTION


@lru_cache
def get_settings() -> Settings:
    return Settings()
