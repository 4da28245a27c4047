"""The size limit and JSON parsing every JSON message over MQTT goes through."""

from typing import TypeVar

from pydantic import BaseModel

from civicgrid.errors import TooLarge

# One alarm or one Frigate event is a few kilobytes; anything far larger is not one.
MAX_JSON_BYTES = 64 * 1024

Model = TypeVar("Model", bound=BaseModel)


def parse_json(payload: bytes | bytearray, model: type[Model]) -> Model:
    """The payload as `model`; an oversize one is refused before it is parsed."""
    if len(payload) > MAX_JSON_BYTES:
        raise TooLarge("alarm_message_too_large", size=len(payload), limit=MAX_JSON_BYTES)
    return model.model_validate_json(payload)
