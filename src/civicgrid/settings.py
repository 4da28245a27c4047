"""Configuration: one object, read from CIVICGRID_* environment variables."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # The base map (docs/base-map.md): a tile URL template ({z}/{x}/{y}, {s} for the
    # subdomains, {key} for the key, as 天地图 needs), an optional label layer drawn over
    # it, and an MBTiles file the platform serves itself at /tiles/ for air-gapped centres.
    tile_url: str = ""
    tile_labels_url: str = ""
    tile_subdomains: str = ""
    tile_key: str = Field(default="", repr=False)
    tile_attribution: str = ""
    tile_mbtiles: Path | None = None
    session_hours: float = Field(default=12.0, gt=0)
    token_minutes: float = Field(default=60.0, gt=0)
    # Sign-in guesses are throttled in memory (see civicgrid/throttle.py) per client address and
    # per account from one address, each as tiers of "count/period" whose later tiers are the
    # back-off. An account itself locks only after this many failures from anywhere, for
    # lockout_minutes, doubling with every further round: one address cannot lock anyone out.
    login_limits_per_address: str = "30/minute;300/hour"
    login_limits_per_account: str = "5/15 minutes;10/hour;20/day"
    account_lock_failures: int = Field(default=50, ge=1)
    lockout_minutes: float = Field(default=15.0, gt=0)
    # Tracking a case by number and phone: per client address, and per case number.
    track_limits_per_address: str = "20/minute;200/hour"
    track_limits_per_case: str = "10/hour;30/day"
    # Reports sent without an account, per client address.
    report_limits_per_address: str = "10/minute;100/hour"
    # Answered-question look-ups while a resident types a report, per client address.
    consult_limits_per_address: str = "30/minute;300/hour"
    # Where the counts live: memory:// is one process's own; redis://host:6379 and the like
    # share them between several server processes.
    throttle_storage: str = "memory://"
    # Argon2id cost (RFC 9106 second recommended profile by default); tests lower it.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=1024)
    # Below this a category suggestion is only a hint: intake leaves the choice to a dispatcher.
    classifier_min_confidence: float = Field(default=0.45, ge=0, le=1)
    # The trained text model; data_dir/classifier/model.joblib when unset.
    classifier_path: Path | None = None
    # Keys for ID numbers and phones in the registry: a JSON keyring file (mode 600), or
    # the same JSON in CIVICGRID_REGISTRY_KEYS. Outside production an unset file becomes
    # data_dir/registry-keys.json with a fresh key; production refuses to load keys without one.
    registry_key_file: Path | None = None
    registry_keys: str = Field(default="", repr=False)
    # Case photos: bytes and decoded pixels per photo (the pixel bound stops
    # decompression bombs before decoding), photos per case and purpose.
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    photo_max_pixels: int = Field(default=40_000_000, gt=0)
    photo_max_per_case: int = Field(default=9, ge=1)
    # Decoded pixels of all photos in one request together (nine 40 MP photos took 12 s of CPU).
    photo_max_pixels_per_request: int = Field(default=60_000_000, gt=0)
    # Request bodies are refused while they stream in, before anything parses them: JSON and
    # forms up to request_max_bytes; file uploads (multipart) and reports carrying base64
    # photos up to upload_max_bytes.
    request_max_bytes: int = Field(default=1024 * 1024, gt=0)
    upload_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # Rows one import through the API or a page may carry; larger files go through the
    # command line (`civicgrid registry import`), which has no request to hold open.
    import_max_rows: int = Field(default=20_000, gt=0)
    # A registry import reads this many rows of a file itself (in whole chunks of 5,000) and
    # hands the rest of a longer file to a second process, which reads, checks and seals
    # while the import stores (registry/importing/pipeline.py); 0 hands over every file.
    registry_import_hand_over_rows: int = Field(default=10_000, ge=0)
    # Duplicate (串并) candidates: open reports this near, this close in time and at least
    # this similar in wording; the similarity threshold is tuned by bench/duplicates.py.
    duplicate_radius_m: float = Field(default=300.0, gt=0)
    duplicate_window_days: float = Field(default=7.0, gt=0)
    duplicate_min_similarity: float = Field(default=0.3, ge=0, le=1)
    # Resident feedback reopens a closed case when the rating is at most this, given
    # within these days of closing, and the case has been reworked fewer times than the limit.
    reopen_rating_at_most: int = Field(default=2, ge=0, le=5)
    reopen_within_days: float = Field(default=15.0, ge=0)
    reopen_limit: int = Field(default=2, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Server processes for `serve`; each holds its own grid index (about 64 MB at 48,000 grids).
    workers: int = Field(default=1, ge=1)
    # Office hours the working-hour SLA clock counts, local time (Asia/Shanghai).
    working_periods: str = Field(
        default="09:00-12:00,13:30-17:30",
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$",
    )
    # The event archive (Parquet by month and district) the analysis reports read;
    # data_dir/archive, beside the embedded database, when unset.
    archive_dir: Path | None = None
    # The folder other systems drop their exports in, one subfolder per source name
    # (docs/analysis.md); unset, the worker watches nothing.
    sources_watch_dir: Path | None = None
    # A dropped file is taken only once unchanged for this long (a half-written one is not).
    sources_watch_settle_seconds: float = Field(default=60.0, ge=0)
    worker_interval_seconds: float = Field(default=30.0, gt=0)
    # /metrics answers loopback clients that came through no proxy, or this bearer token.
    metrics_token: str = Field(default="", repr=False)
    # Log lines as plain text, or one JSON object per line for a log collector.
    log_format: Literal["text", "json"] = "text"
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_seconds: float = Field(default=30.0, gt=0)

    # The MQTT broker alarms arrive through, with the listener's own account:
    # mqtt://civicgrid-listener:password@127.0.0.1:1883. Unset, no listener runs.
    mqtt_url: str = Field(default="", repr=False)
    # Devices publish to <root>/<device code>/alarms and <root>/<device code>/heartbeat.
    mqtt_topic_root: str = Field(
        default="civicgrid/devices", pattern=r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$"
    )
    # A Frigate server publishes under this prefix (its mqtt.topic_prefix), with its own
    # broker account; without a user, `alarms broker-files` writes no Frigate account.
    frigate_topic_prefix: str = Field(default="frigate", pattern=r"^[A-Za-z0-9_\-]+$")
    frigate_mqtt_user: str = Field(default="", pattern=r"^[A-Za-z0-9_\-]*$")
    frigate_mqtt_password: str = Field(default="", repr=False)
    # An online device unheard of for this long is marked offline by the worker.
    device_offline_minutes: float = Field(default=15.0, gt=0)
    # The city's video platform(s) that cameras' live streams (HLS) come from, as origins
    # separated by commas (https://video.example.gov.cn). Pages let media and their
    # fetches reach these and no other host; a stream URL elsewhere is refused.
    stream_origins: str = ""
    # Cameras within this distance of a case are listed on it.
    camera_radius_m: float = Field(default=300.0, gt=0, le=5000)
    # A device with more than this many alarms dismissed as false in the period is flagged.
    false_alarm_limit: int = Field(default=5, ge=1)
    false_alarm_days: float = Field(default=7.0, gt=0)
    # Sensor readings (archive_dir/readings, by local day and district) older than this
    # many days are deleted by the worker, a whole day partition at a time.
    reading_retention_days: int = Field(default=90, ge=3)
    # An SOS nobody acknowledged within this many minutes goes up a level (district → city).
    sos_ack_minutes: float = Field(default=1.0, gt=0)
    # The department kind an SOS alerts besides the centre (the police, 公安), and how many of
    # the nearest on-duty grid workers it alerts.
    sos_police_department_kind: str = Field(default="police", min_length=1, max_length=40)
    sos_nearest_workers: int = Field(default=3, ge=0, le=50)

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
    def effective_archive_dir(self) -> Path:
        """The configured archive folder, or `archive/` beside the embedded database."""
        return self.archive_dir or self.data_dir / "archive"

    @property
    def cookie_secure(self) -> bool:
        return self.environment is Environment.PRODUCTION


@lru_cache
def get_settings() -> Settings:
    return Settings()
