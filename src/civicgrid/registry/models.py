"""The base registry (一标三实) tables: one standard address, and the housing, people
and organisations found at it, plus key places and care groups.

Every table carries `region_code`, the grid (or, for a point in no grid, the
community) it lies in: the column the one jurisdiction filter reads.

Personal data is minimised: ID numbers and phones exist only as AES-GCM
tokens (`*_token`) sealed with the row's `uid` as context and as blind indexes
(`*_index`) for exact look-up; ethnicity and religion are not stored at all.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class AddressLevel(StrEnum):
    """GB/T 31000's standard address, from the road down to the room."""

    ROAD = "road"
    HOUSE_NUMBER = "house_number"
    BUILDING = "building"
    UNIT = "unit"
    ROOM = "room"


class HousingUse(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    OFFICE = "office"
    INDUSTRIAL = "industrial"
    MIXED = "mixed"
    OTHER = "other"


class Tenure(StrEnum):
    OWNER_OCCUPIED = "owner_occupied"
    RENTED = "rented"
    VACANT = "vacant"
    OTHER = "other"


class ResidenceKind(StrEnum):
    """户籍 / 流动 / 境外 population."""

    REGISTERED = "registered"
    FLOATING = "floating"
    OVERSEAS = "overseas"


class DocumentKind(StrEnum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    OTHER = "other"


class OrganisationKind(StrEnum):
    ENTERPRISE = "enterprise"
    INDIVIDUAL_BUSINESS = "individual_business"
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    SOCIAL_ORGANISATION = "social_organisation"
    OTHER = "other"


class PlaceKind(StrEnum):
    """Key places (重点场所) that grid workers patrol."""

    SCHOOL = "school"
    HOSPITAL = "hospital"
    MARKET = "market"
    STATION = "station"
    SAFETY_SUPERVISED_ENTERPRISE = "safety_supervised_enterprise"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    ENTERTAINMENT = "entertainment"
    RELIGIOUS_VENUE = "religious_venue"
    CONSTRUCTION_SITE = "construction_site"
    OTHER = "other"


class CareGroup(StrEnum):
    """Groups a grid worker visits for services (关爱对象)."""

    LONELY_ELDERLY = "lonely_elderly"
    LEFT_BEHIND_CHILD = "left_behind_child"
    DISABLED = "disabled"
    SUBSISTENCE_ALLOWANCE = "subsistence_allowance"
    SERIOUS_ILLNESS = "serious_illness"
    VETERAN = "veteran"
    COMMUNITY_CORRECTION = "community_correction"
    OTHER = "other"


class Address(Base):
    """One node of a standard address: a road, a house number, a building, a unit or a room."""

    __tablename__ = "registry_addresses"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    full_text: Mapped[str] = mapped_column(String(400), index=True)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Housing(Base):
    """A dwelling or premises (实有房屋) at an address, with its use and tenure."""

    __tablename__ = "registry_housing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    address_id: Mapped[int] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), unique=True
    )
    use: Mapped[str] = mapped_column(String(16))
    tenure: Mapped[str] = mapped_column(String(16))
    area_m2: Mapped[float | None] = mapped_column(Float)
    owner_name: Mapped[str | None] = mapped_column(String(64))
    owner_phone_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    owner_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Household(Base):
    """A household (户) living at one address; its members are residents."""

    __tablename__ = "registry_households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    address_id: Mapped[int] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), index=True
    )
    housing_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_housing.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="family")
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Resident(Base):
    """A person living in the area (实有人口), registered, floating or from overseas."""

    __tablename__ = "registry_residents"
    __table_args__ = (Index("ix_registry_residents_region_name", "region_code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    document_kind: Mapped[str] = mapped_column(String(16), default=DocumentKind.RESIDENT_ID)
    document_token: Mapped[bytes] = mapped_column(LargeBinary)
    document_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    # Derived from the ID number, never typed: kept for care-group service, never scored.
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    origin_region_code: Mapped[str | None] = mapped_column(String(12))
    phone_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    residence_kind: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_households.id", ondelete="SET NULL"), index=True
    )
    relation_to_head: Mapped[str | None] = mapped_column(String(16))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), index=True
    )
    moved_in_on: Mapped[date | None] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(String(15))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Organisation(Base):
    """An organisation (实有单位) identified by its unified social credit code."""

    __tablename__ = "registry_organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), index=True
    )
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    contact_phone_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class KeyPlace(Base):
    """A key place (重点场所) under regular patrol."""

    __tablename__ = "registry_key_places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_addresses.id", ondelete="RESTRICT"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_organisations.id", ondelete="SET NULL"), index=True
    )
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    patrol_every_days: Mapped[int] = mapped_column(Integer, default=7)
    note: Mapped[str] = mapped_column(Text, default="")
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CareMembership(Base):
    """A resident's place in a care group, so service visits can be planned."""

    __tablename__ = "registry_care_memberships"
    __table_args__ = (UniqueConstraint("resident_id", "care_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("registry_residents.id", ondelete="CASCADE"), index=True
    )
    care_group: Mapped[str] = mapped_column(String(32))
    since: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    region_code: Mapped[str] = mapped_column(String(15), index=True)


class Reveal(Base):
    """One look at an unmasked value: who, what, why. Append-only; leaders read it."""

    __tablename__ = "registry_reveals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    subject_kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
