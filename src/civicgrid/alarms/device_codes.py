"""GB/T 28181 device codes: twenty digits that say where a device is and what it is.

Appendix D of GB/T 28181-2016 (编码规则 A) lays the code out as

    digits  1–8   centre code (中心编码): province 2, city 2, county 2, base unit 2
    digits  9–10  industry (行业编码), e.g. 00 社会治安路面接入, 08 城市管理接入
    digits 11–13  type (类型编码): 111–199 front-end devices, 200+ platform servers and users
    digit  14     network (网络标识): 0–4 video private network, 5 public security,
                  6 government, 7 internet, 8 social resources; 9 is reserved
    digits 15–20  serial number (设备、用户序号)

A higher-level centre pads the levels below it with zeros (`53050000` is the
保山市 centre), so the centre's first six digits are a division code and a
device must lie inside that division.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from civicgrid.divisions import contains, normalise_code
from civicgrid.errors import DomainError, Invalid

_TWENTY_DIGITS = re.compile(r"^[0-9]{20}$")
# The provincial-level divisions of GB/T 2260: a centre code starts with one of them.
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)  # fmt: skip
RESERVED_NETWORK = "9"


class DeviceKind(StrEnum):
    CAMERA = "camera"
    RECORDER = "recorder"
    ALARM_PANEL = "alarm_panel"
    SMOKE_SENSOR = "smoke_sensor"
    GAS_SENSOR = "gas_sensor"
    ELECTRIC_FIRE_SENSOR = "electric_fire_sensor"
    WATER_LEVEL_SENSOR = "water_level_sensor"
    MANHOLE_SENSOR = "manhole_sensor"
    SOS_BUTTON = "sos_button"


# Type codes of the standard's front-end devices each kind may carry: 131 camera and
# 132 IP camera; 111 DVR, 118 NVR, 119 HVR; 117 alarm controller; 134 alarm input
# devices (smoke, infrared, a button) and 139 other peripherals, with 140–199 the
# standard's range for extended front-end peripherals such as today's IoT sensors.
_PERIPHERALS = frozenset({134, 139, *range(140, 200)})
TYPE_CODES: dict[DeviceKind, frozenset[int]] = {
    DeviceKind.CAMERA: frozenset({131, 132}),
    DeviceKind.RECORDER: frozenset({111, 118, 119}),
    DeviceKind.ALARM_PANEL: frozenset({117}),
    DeviceKind.SMOKE_SENSOR: _PERIPHERALS,
    DeviceKind.GAS_SENSOR: _PERIPHERALS,
    DeviceKind.ELECTRIC_FIRE_SENSOR: _PERIPHERALS,
    DeviceKind.WATER_LEVEL_SENSOR: _PERIPHERALS,
    DeviceKind.MANHOLE_SENSOR: _PERIPHERALS,
    DeviceKind.SOS_BUTTON: frozenset({134}),
}


@dataclass(frozen=True)
class DeviceCode:
    """A parsed code; `str()` gives the twenty digits back."""

    centre: str
    industry: str
    type_code: int
    network: str
    serial: str

    def __str__(self) -> str:
        return f"{self.centre}{self.industry}{self.type_code:03d}{self.network}{self.serial}"

    @property
    def division(self) -> str:
        """The division the centre serves: its first six digits as a region code."""
        return normalise_code(self.centre[:6])


def parse_device_code(raw: str) -> DeviceCode:
    """The code's parts, or a refusal naming what is wrong with it."""
    code = raw.strip()
    if not _TWENTY_DIGITS.match(code):
        raise Invalid("device_code_format", code=raw)
    parsed = DeviceCode(
        centre=code[:8],
        industry=code[8:10],
        type_code=int(code[10:13]),
        network=code[13],
        serial=code[14:],
    )
    _require_centre(parsed, raw)
    if parsed.network == RESERVED_NETWORK:
        raise Invalid("device_code_network", code=raw)
    if not 111 <= parsed.type_code <= 199:
        raise Invalid("device_code_not_front_end", code=raw, type_code=f"{parsed.type_code:03d}")
    return parsed


def _require_centre(parsed: DeviceCode, raw: str) -> None:
    if parsed.centre[:2] not in PROVINCES:
        raise Invalid("device_code_centre", code=raw)
    try:
        normalise_code(parsed.centre[:6])
    except DomainError as error:
        raise Invalid("device_code_centre", code=raw) from error


def require_code_fits(code: DeviceCode, *, kind: DeviceKind, region_code: str) -> None:
    """A device's code must name its kind's type and a centre over the place it stands."""
    if code.type_code not in TYPE_CODES[kind]:
        raise Invalid(
            "device_code_kind_mismatch", code=str(code), type_code=f"{code.type_code:03d}"
        )
    if not contains(code.division, region_code):
        raise Invalid("device_code_outside_centre", code=str(code), division=code.division)
