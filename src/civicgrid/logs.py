"""How the server and the worker log: plain lines or one JSON object per line
(CIVICGRID_LOG_FORMAT=json), with ID numbers and mobiles masked either way."""

import copy
import logging
from typing import Any

from pythonjsonlogger.core import LogData
from pythonjsonlogger.json import JsonFormatter

from civicgrid.masking import PersonalDataFilter, mask_personal_data
from civicgrid.settings import Settings

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class MaskedJsonFormatter(JsonFormatter):
    """JSON lines whose every text field is masked, extras included: the filter masks a
    record's message, but a JSON line also carries whatever `extra=` put on it."""

    def process_log_record(self, log_data: LogData) -> LogData:
        return {key: _masked(value) for key, value in log_data.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _json_formatter() -> dict[str, Any]:
    return {"()": "civicgrid.logs.MaskedJsonFormatter", "fmt": JSON_FIELDS}


def server_log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's logging with ID numbers and mobiles masked on every handler.

    Access lines carry query strings (tracking asks for the reporter's phone), and
    the platform's own loggers go through the same handler instead of Python's
    unfiltered last resort. The masking filter formats each record itself, so the
    access lines use the plain formatter (or the JSON one).
    """
    from uvicorn.config import LOGGING_CONFIG  # noqa: PLC0415

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"personal_data": {"()": "civicgrid.masking.PersonalDataFilter"}}
    if settings.log_format == "json":
        config["formatters"]["default"] = _json_formatter()
    config["formatters"]["access"] = dict(config["formatters"]["default"])
    for handler in config["handlers"].values():
        handler["filters"] = ["personal_data"]
    config["root"] = {"handlers": ["default"], "level": "INFO"}
    config["loggers"]["alembic"] = {"level": "WARNING"}
    return config


def configure_worker_logging(settings: Settings) -> None:
    """The worker's lines to standard error, masked, as text or JSON like the server's."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(MaskedJsonFormatter(JSON_FIELDS))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
