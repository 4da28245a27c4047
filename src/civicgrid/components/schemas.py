"""What the component routes take and give."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.components.classes import ComponentClass, class_of
from civicgrid.components.models import Component, ComponentStatus
from civicgrid.db import MAX_SQL_INTEGER


class ComponentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    class_code: str
    class_name: str
    major_name: str
    name: str
    lng: float
    lat: float
    region_code: str
    address: str
    department_id: int | None
    status: str
    created_at: datetime

    @classmethod
    def of(cls, component: Component, locale: str) -> "ComponentOut":
        found = class_of(component.class_code)
        return cls(
            code=component.code,
            class_code=component.class_code,
            class_name=found.label(locale),
            major_name=found.major_name_en if locale == "en" else found.major_name,
            name=component.name,
            lng=component.lng,
            lat=component.lat,
            region_code=component.region_code,
            address=component.address,
            department_id=component.department_id,
            status=component.status,
            created_at=component.created_at,
        )


class ComponentClassOut(BaseModel):
    code: str
    name: str
    major_code: str
    major_name: str

    @classmethod
    def of(cls, found: ComponentClass, locale: str) -> "ComponentClassOut":
        english = locale == "en"
        return cls(
            code=found.code,
            name=found.label(locale),
            major_code=found.major_code,
            major_name=found.major_name_en if english else found.major_name,
        )


class ComponentFilterIn(BaseModel):
    q: str = Field(default="", max_length=120)
    class_code: str | None = Field(default=None, pattern=r"^[0-9]{2}([0-9]{2})?$")
    status: ComponentStatus | None = None
    region: str | None = Field(default=None, pattern=r"^[0-9]{6,15}$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)
