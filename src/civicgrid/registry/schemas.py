"""What the registry API takes and returns.

Out-schemas receive personal numbers in the clear and mask them themselves, so
no response can carry an unmasked ID number or phone by forgetting a call:
the only unmasked value that leaves the API is RevealOut's, after an audited
reveal. Names are shown in full (staff inside the jurisdiction work by name);
the birth date only as a year, which is what care services need.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.db import RowId
from civicgrid.masking import mask_id_number, mask_middle, mask_phone
from civicgrid.registry.models import (
    Address,
    CareGroup,
    CareMembership,
    DocumentKind,
    Household,
    Housing,
    HousingUse,
    Organisation,
    OrganisationKind,
    PlaceKind,
    ResidenceKind,
    Resident,
    Tenure,
)

RevealField = Literal["document_number", "phone", "owner_phone", "contact_phone"]


class PlaceIn(BaseModel):
    """Where a row lies: the address text and a WGS-84 point, or a grid/community code."""

    address: str = Field(min_length=1, max_length=400)
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    grid_code: str | None = Field(default=None, max_length=15)


class ResidentFields(BaseModel):
    """What a clerk may change about a resident (the ID number is the identity and is not)."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=40)
    residence_kind: ResidenceKind | None = None
    household_number: str | None = Field(default=None, min_length=1, max_length=32)
    relation_to_head: str | None = Field(default=None, max_length=16)
    moved_in_on: date | None = None
    care_groups: list[CareGroup] | None = None
    address: PlaceIn | None = None


class ResidentIn(ResidentFields):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=40)
    document_kind: DocumentKind = DocumentKind.RESIDENT_ID
    residence_kind: ResidenceKind = ResidenceKind.REGISTERED
    care_groups: list[CareGroup] | None = Field(default_factory=list)


class ResidentOut(BaseModel):
    id: int
    name: str
    document_kind: str
    document_number: str
    phone: str | None
    birth_year: int | None
    residence_kind: str
    household_id: int | None
    household_number: str | None
    relation_to_head: str | None
    address_id: int | None
    address: str | None
    moved_in_on: date | None
    care_groups: list[str]
    region_code: str

    @classmethod
    def of(
        cls,
        row: Resident,
        *,
        document: str,
        phone: str | None,
        household: Household | None,
        address: Address | None,
        care_groups: list[str],
    ) -> "ResidentOut":
        """The resident with `document` and `phone` given in the clear and masked here."""
        return cls(
            id=row.id,
            name=row.name,
            document_kind=row.document_kind,
            document_number=masked_document(row.document_kind, document),
            phone=masked_phone(phone),
            birth_year=row.birth_date.year if row.birth_date else None,
            residence_kind=row.residence_kind,
            household_id=row.household_id,
            household_number=household.number if household else None,
            relation_to_head=row.relation_to_head,
            address_id=row.address_id,
            address=address.full_text if address else None,
            moved_in_on=row.moved_in_on,
            care_groups=care_groups,
            region_code=row.region_code,
        )


def masked_document(kind: str, number: str) -> str:
    """Resident IDs as counters show them; other documents keep less, being shorter."""
    if kind == DocumentKind.RESIDENT_ID:
        return mask_id_number(number)
    return mask_middle(number, keep_start=1, keep_end=2)


def masked_phone(phone: str | None) -> str | None:
    return None if phone is None else mask_phone(phone)


class MemberOut(BaseModel):
    """A household member or a tenant, as a list shows them: no numbers at all."""

    id: int
    name: str
    relation_to_head: str | None

    @classmethod
    def of(cls, row: Resident) -> "MemberOut":
        return cls(id=row.id, name=row.name, relation_to_head=row.relation_to_head)


class HouseholdIn(BaseModel):
    number: str = Field(min_length=1, max_length=32)
    address: PlaceIn
    housing_id: RowId | None = None
    kind: Literal["family", "collective"] = "family"


class HouseholdOut(BaseModel):
    id: int
    number: str
    kind: str
    address_id: int
    address: str
    housing_id: int | None
    region_code: str
    members: list[MemberOut]

    @classmethod
    def of(cls, row: Household, *, address: Address, members: list[Resident]) -> "HouseholdOut":
        return cls(
            id=row.id,
            number=row.number,
            kind=row.kind,
            address_id=row.address_id,
            address=address.full_text,
            housing_id=row.housing_id,
            region_code=row.region_code,
            members=[MemberOut.of(member) for member in members],
        )


class HousingFields(BaseModel):
    use: HousingUse | None = None
    tenure: Tenure | None = None
    area_m2: float | None = Field(default=None, gt=0, le=1_000_000)
    owner_name: str | None = Field(default=None, max_length=64)
    owner_phone: str | None = Field(default=None, max_length=40)


class HousingIn(HousingFields):
    address: PlaceIn
    use: HousingUse = HousingUse.RESIDENTIAL
    tenure: Tenure = Tenure.OWNER_OCCUPIED


class HousingOut(BaseModel):
    id: int
    address_id: int
    address: str
    use: str
    tenure: str
    area_m2: float | None
    owner_name: str | None
    owner_phone: str | None
    region_code: str
    households: list[int]
    tenants: list[MemberOut]

    @classmethod
    def of(
        cls,
        row: Housing,
        *,
        owner_phone: str | None,
        address: Address,
        households: list[Household],
        tenants: list[Resident],
    ) -> "HousingOut":
        """The dwelling with the owner's phone given in the clear and masked here."""
        return cls(
            id=row.id,
            address_id=row.address_id,
            address=address.full_text,
            use=row.use,
            tenure=row.tenure,
            area_m2=row.area_m2,
            owner_name=row.owner_name,
            owner_phone=masked_phone(owner_phone),
            region_code=row.region_code,
            households=[household.id for household in households],
            tenants=[MemberOut.of(tenant) for tenant in tenants],
        )


class OrganisationFields(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    legal_representative: str | None = Field(default=None, max_length=64)
    contact_phone: str | None = Field(default=None, max_length=40)
    employees: int | None = Field(default=None, ge=0, le=10_000_000)


class OrganisationIn(OrganisationFields):
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=1, max_length=40)
    kind: OrganisationKind = OrganisationKind.ENTERPRISE
    address: PlaceIn


class OrganisationOut(BaseModel):
    id: int
    name: str
    credit_code: str
    kind: str
    address_id: int | None
    address: str | None
    legal_representative: str | None
    contact_phone: str | None
    employees: int | None
    region_code: str

    @classmethod
    def of(
        cls, row: Organisation, *, contact_phone: str | None, address: Address | None
    ) -> "OrganisationOut":
        """The organisation with its contact phone given in the clear and masked here."""
        return cls(
            id=row.id,
            name=row.name,
            credit_code=row.credit_code,
            kind=row.kind,
            address_id=row.address_id,
            address=address.full_text if address else None,
            legal_representative=row.legal_representative,
            contact_phone=masked_phone(contact_phone),
            employees=row.employees,
            region_code=row.region_code,
        )


class KeyPlaceIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: PlaceKind
    address: PlaceIn
    organisation_id: RowId | None = None
    patrol_every_days: int = Field(default=7, ge=1, le=366)
    note: str = Field(default="", max_length=2000)


class KeyPlaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    address_id: int | None
    organisation_id: int | None
    lng: float | None
    lat: float | None
    patrol_every_days: int
    note: str
    region_code: str


class CareMemberOut(BaseModel):
    resident_id: int
    name: str
    care_group: str
    since: date | None
    region_code: str

    @classmethod
    def of(cls, membership: CareMembership, resident: Resident) -> "CareMemberOut":
        return cls(
            resident_id=resident.id,
            name=resident.name,
            care_group=membership.care_group,
            since=membership.since,
            region_code=membership.region_code,
        )


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    level: str
    name: str
    full_text: str
    lng: float | None
    lat: float | None
    region_code: str


class PlaceHitOut(BaseModel):
    """A search box suggestion: a place's name and kind, its point, its grid and region names."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    lng: float | None
    lat: float | None
    region_code: str
    grid_code: str | None
    street: str | None
    community: str | None
    grid: str | None


class RevealIn(BaseModel):
    field: RevealField
    reason: str = Field(min_length=1, max_length=500)


class RevealOut(BaseModel):
    field: str
    value: str


class RevealRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    username: str
    role: str
    subject_kind: str
    subject_id: int
    field: str
    reason: str
    region_code: str
