"""The household safety assessment (家庭安全风险评估) and the case a hazard opens.

Cases are written in Chinese, the platform's working language, whatever the
worker's phone is set to: the description comes from the zh-CN catalogue.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.fieldwork.targets import Place
from civicgrid.geo.crs import Crs
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate

CASE_CHANNEL = "grid_worker"


class Item(StrEnum):
    """What a visit checks, in the order a case names its findings (most urgent first)."""

    FIRE = "fire"
    GAS = "gas"
    ELECTRICITY = "electricity"
    STRUCTURE = "structure"
    CARE_NEEDS = "care_needs"
    UNRESOLVED_DISPUTE = "unresolved_dispute"
    OTHER = "other"


# Item -> the taxonomy category a case about it is filed under, used only when that code
# exists and is active in the deployment's taxonomy; otherwise intake classifies the text.
CASE_CATEGORIES: dict[Item, str] = {
    Item.FIRE: "SG-04-05",
    Item.GAS: "UM-04-03",
    Item.ELECTRICITY: "SG-04-05",
    Item.STRUCTURE: "SG-03-05",
    Item.CARE_NEEDS: "SG-05-07",
    Item.UNRESOLVED_DISPUTE: "SG-01-01",
}


@dataclass(frozen=True)
class Finding:
    item: Item
    hazard: bool
    note: str = ""


@dataclass(frozen=True)
class CaseRequest:
    """What a visit that opens a case knows: where the worker stood, what they saw."""

    place: Place
    findings: Sequence[Finding]
    lng: float | None
    lat: float | None
    photos: tuple[str, ...]
    idempotency_key: str | None


def hazards(findings: Sequence[Finding]) -> list[Finding]:
    order = list(Item)
    return sorted((f for f in findings if f.hazard), key=lambda f: order.index(f.item))


def case_category(db: Session, found: Sequence[Finding]) -> str | None:
    """The first hazard's category, if the taxonomy has it."""
    code = CASE_CATEGORIES.get(found[0].item) if found else None
    filing = taxonomy(db).get(code) if code else None
    usable = filing is not None and filing.active and filing.parent_code is not None
    return code if usable else None


def case_description(place: Place, found: Sequence[Finding]) -> str:
    lines = [
        translate(
            "fieldwork.case_finding",
            DEFAULT_LOCALE,
            item=translate(f"fieldwork.item.{finding.item.value}", DEFAULT_LOCALE),
            note=finding.note.strip() or "-",
        )
        for finding in found
    ]
    return translate(
        "fieldwork.case_description",
        DEFAULT_LOCALE,
        household=place.household_number,
        address=place.address,
        findings="；".join(lines),
    )


def open_case(db: Session, index: GridIndex, *, actor: Actor, request: CaseRequest) -> str:
    """Report the visit's hazards as one case; returns its number.

    The worker's own point places the case; without one, the household's
    address point. The idempotency key ties the case to the record, so a
    phone re-sending the visit gets the same case, never a second one.
    """
    found = hazards(request.findings)
    lng, lat = (
        (request.lng, request.lat)
        if request.lng is not None
        else (request.place.lng, request.place.lat)
    )
    intake = Intake(
        description=case_description(request.place, found),
        channel=CASE_CHANNEL,
        lng=lng,
        lat=lat,
        crs=Crs.WGS84.value,
        address=request.place.address,
        category_code=case_category(db, found),
        photos=request.photos,
    )
    case, _ = report_case(
        db, index, intake=intake, actor=actor, idempotency_key=request.idempotency_key
    )
    return case.number
