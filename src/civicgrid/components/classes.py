"""The component classes of GB/T 30428.2 and the sixteen-digit component code built on them.

GB/T 30428.2 (数字化城市管理信息系统 第2部分：管理部件和事件) sorts components into
major classes (大类, two digits: 01 公用设施, 02 道路交通, …) and minor classes
(小类, the major's two digits and two more: 0101 上水井盖 …). A component's code is

    digits  1–6   the county-level division it belongs to (GB/T 2260)
    digits  7–8   major class
    digits  9–10  minor class
    digits 11–16  serial number within the division and minor class

e.g. `5305020101000001`, the first water-supply manhole cover of 隆阳区. The class
list is data (`data/component_classes.json`), so a city that adds local classes edits
the file, not the code.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from civicgrid.divisions import Level, contains, level_of, normalise_code
from civicgrid.errors import DomainError, Invalid

CLASSES_FILE = Path(__file__).parent / "data" / "component_classes.json"
_SIXTEEN_DIGITS = re.compile(r"^[0-9]{16}$")


@dataclass(frozen=True)
class ComponentClass:
    """A minor class (小类) with the major class (大类) it belongs to."""

    code: str
    name: str
    name_en: str
    major_code: str
    major_name: str
    major_name_en: str

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name


@cache
def component_classes() -> dict[str, ComponentClass]:
    """Every minor class by its four-digit code, in the file's order."""
    data = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    return {
        minor["code"]: ComponentClass(
            code=minor["code"],
            name=minor["name"],
            name_en=minor["name_en"],
            major_code=major["code"],
            major_name=major["name"],
            major_name_en=major["name_en"],
        )
        for major in data["majors"]
        for minor in major["minors"]
    }


def class_of(code: str) -> ComponentClass:
    found = component_classes().get(code.strip())
    if found is None:
        raise Invalid("component_class_unknown", code=code)
    return found


@dataclass(frozen=True)
class ComponentCode:
    division: str
    component_class: ComponentClass
    serial: str

    def __str__(self) -> str:
        return f"{self.division}{self.component_class.code}{self.serial}"


def parse_component_code(raw: str) -> ComponentCode:
    """The code's parts, or a refusal naming what is wrong with it."""
    code = raw.strip()
    if not _SIXTEEN_DIGITS.match(code):
        raise Invalid("component_code_format", code=raw)
    try:
        division = normalise_code(code[:6])
    except DomainError as error:
        raise Invalid("component_code_division", code=raw) from error
    if level_of(division) is not Level.DISTRICT:
        raise Invalid("component_code_division", code=raw)
    found = component_classes().get(code[6:10])
    if found is None:
        raise Invalid("component_code_class", code=raw, class_code=code[6:10])
    return ComponentCode(division=code[:6], component_class=found, serial=code[10:])


def require_code_fits(code: ComponentCode, *, region_code: str) -> None:
    """A component's code names the district its point lies in."""
    if not contains(code.division, region_code):
        raise Invalid("component_code_outside_division", code=str(code), division=code.division)
