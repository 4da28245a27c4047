"""What the case API takes and returns."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from civicgrid.cases.service import CHANNELS
from civicgrid.cases.workflow import Status
from civicgrid.geo.crs import Crs


class CaseIn(BaseModel):
    description: str = Field(min_length=1, max_length=5000)
    channel: str = Field(default="api", max_length=24, description=", ".join(CHANNELS))
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: Crs = Crs.WGS84
    address: str | None = Field(default=None, max_length=255)
    category_code: str | None = Field(default=None, max_length=40)
    reporter_phone: str | None = Field(default=None, pattern=r"^\+?[0-9-]{5,20}$")


class TransitionIn(BaseModel):
    to: Status
    note: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=0)
    approve: bool | None = None
    department_code: str | None = Field(default=None, max_length=40)


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    from_status: str | None
    to_status: str
    actor: str
    note: str
    created_at: datetime


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    status: str
    channel: str
    description: str
    category_code: str | None
    grid_code: str | None
    region_code: str
    lng: float | None
    lat: float | None
    address: str | None
    department_id: int | None
    version: int
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unlocated(self) -> bool:
        return self.grid_code is None
