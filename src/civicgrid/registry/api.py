"""HTTP routes of the base registry: thin translations to the service, masked on the way out."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.db import RowId
from civicgrid.errors import Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry import (
    care,
    households,
    key_places,
    organisations,
    places,
    residents,
    reveals,
    service,
    views,
)
from civicgrid.registry.models import CareGroup, PlaceKind
from civicgrid.registry.schemas import (
    AddressOut,
    CareMemberOut,
    HouseholdIn,
    HouseholdOut,
    HousingFields,
    HousingIn,
    HousingOut,
    KeyPlaceIn,
    KeyPlaceOut,
    OrganisationFields,
    OrganisationIn,
    OrganisationOut,
    PlaceHitOut,
    ResidentFields,
    ResidentIn,
    ResidentOut,
    RevealIn,
    RevealOut,
    RevealRecordOut,
)
from civicgrid.settings import Settings

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])

Limit = Annotated[int, Query(ge=1, le=service.MAX_LIMIT)]
SearchText = Annotated[str | None, Query(min_length=1, max_length=200)]
# The path's plural names the subject an audit row records in the singular.
SUBJECTS = {"residents": "resident", "housing": "housing", "organisations": "organisation"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _grids(request: Request) -> GridIndex:
    index: GridIndex = request.app.state.grid_index
    return index


@router.post("/residents", response_model=ResidentOut, status_code=status.HTTP_201_CREATED)
def post_resident(
    body: ResidentIn, request: Request, db: DbSession, actor: CurrentActor
) -> ResidentOut:
    settings = _settings(request)
    resident = residents.create_resident(
        db, actor, settings=settings, grid_index=_grids(request), data=body
    )
    db.commit()
    return views.resident_views(db, settings, [resident])[0]


@router.get("/residents", response_model=list[ResidentOut])
def get_residents(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    *,
    document_number: SearchText = None,
    phone: SearchText = None,
    community: SearchText = None,
    name: SearchText = None,
    address: SearchText = None,
    limit: Limit = 50,
) -> list[ResidentOut]:
    """Exactly one way of searching: ID number, phone, community and name, or address."""
    settings = _settings(request)
    if document_number is not None:
        found = residents.residents_by_document(
            db, actor, settings=settings, number=document_number
        )
    elif phone is not None:
        found = residents.residents_by_phone(db, actor, settings=settings, phone=phone)
    elif community is not None and name is not None:
        found = residents.residents_by_name(
            db, actor, community_code=community, name=name, limit=limit
        )
    elif address is not None:
        found = residents.residents_by_address(db, actor, text=address, limit=limit)
    else:
        raise Invalid("registry_search_criterion")
    return views.resident_views(db, settings, found)


@router.get("/residents/{resident_id}", response_model=ResidentOut)
def get_resident(
    resident_id: RowId, request: Request, db: DbSession, actor: CurrentActor
) -> ResidentOut:
    resident = residents.get_resident(db, actor, resident_id)
    return views.resident_views(db, _settings(request), [resident])[0]


@router.patch("/residents/{resident_id}", response_model=ResidentOut)
def patch_resident(
    resident_id: RowId, body: ResidentFields, request: Request, db: DbSession, actor: CurrentActor
) -> ResidentOut:
    settings = _settings(request)
    resident = residents.update_resident(
        db, actor, resident_id, settings=settings, grid_index=_grids(request), data=body
    )
    db.commit()
    return views.resident_views(db, settings, [resident])[0]


@router.delete("/residents/{resident_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_resident(resident_id: RowId, db: DbSession, actor: CurrentActor) -> None:
    residents.remove_resident(db, actor, resident_id)
    db.commit()


@router.post("/households", response_model=HouseholdOut, status_code=status.HTTP_201_CREATED)
def post_household(
    body: HouseholdIn, request: Request, db: DbSession, actor: CurrentActor
) -> HouseholdOut:
    household = households.create_household(db, actor, grid_index=_grids(request), data=body)
    db.commit()
    return views.household_view(db, household)


@router.get("/households", response_model=HouseholdOut)
def get_household_by_number(
    number: Annotated[str, Query(min_length=1, max_length=32)], db: DbSession, actor: CurrentActor
) -> HouseholdOut:
    return views.household_view(db, households.household_by_number(db, actor, number))


@router.get("/households/{household_id}", response_model=HouseholdOut)
def get_household(household_id: RowId, db: DbSession, actor: CurrentActor) -> HouseholdOut:
    return views.household_view(db, households.get_household(db, actor, household_id))


@router.post("/housing", response_model=HousingOut, status_code=status.HTTP_201_CREATED)
def post_housing(
    body: HousingIn, request: Request, db: DbSession, actor: CurrentActor
) -> HousingOut:
    settings = _settings(request)
    housing = households.create_housing(
        db, actor, settings=settings, grid_index=_grids(request), data=body
    )
    db.commit()
    return views.housing_view(db, settings, housing)


@router.get("/housing/{housing_id}", response_model=HousingOut)
def get_housing(
    housing_id: RowId, request: Request, db: DbSession, actor: CurrentActor
) -> HousingOut:
    return views.housing_view(db, _settings(request), households.get_housing(db, actor, housing_id))


@router.patch("/housing/{housing_id}", response_model=HousingOut)
def patch_housing(
    housing_id: RowId, body: HousingFields, request: Request, db: DbSession, actor: CurrentActor
) -> HousingOut:
    settings = _settings(request)
    housing = households.update_housing(db, actor, housing_id, settings=settings, data=body)
    db.commit()
    return views.housing_view(db, settings, housing)


@router.post("/organisations", response_model=OrganisationOut, status_code=status.HTTP_201_CREATED)
def post_organisation(
    body: OrganisationIn, request: Request, db: DbSession, actor: CurrentActor
) -> OrganisationOut:
    settings = _settings(request)
    organisation = organisations.create_organisation(
        db, actor, settings=settings, grid_index=_grids(request), data=body
    )
    db.commit()
    return views.organisation_views(db, settings, [organisation])[0]


@router.get("/organisations", response_model=list[OrganisationOut])
def get_organisations(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    *,
    name: SearchText = None,
    credit_code: SearchText = None,
    limit: Limit = 50,
) -> list[OrganisationOut]:
    found = organisations.search_organisations(
        db, actor, name=name, credit_code=credit_code, limit=limit
    )
    return views.organisation_views(db, _settings(request), found)


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
def get_organisation(
    organisation_id: RowId, request: Request, db: DbSession, actor: CurrentActor
) -> OrganisationOut:
    organisation = organisations.get_organisation(db, actor, organisation_id)
    return views.organisation_views(db, _settings(request), [organisation])[0]


@router.patch("/organisations/{organisation_id}", response_model=OrganisationOut)
def patch_organisation(
    organisation_id: RowId,
    body: OrganisationFields,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
) -> OrganisationOut:
    settings = _settings(request)
    organisation = organisations.update_organisation(
        db, actor, organisation_id, settings=settings, data=body
    )
    db.commit()
    return views.organisation_views(db, settings, [organisation])[0]


@router.post("/key-places", response_model=KeyPlaceOut, status_code=status.HTTP_201_CREATED)
def post_key_place(
    body: KeyPlaceIn, request: Request, db: DbSession, actor: CurrentActor
) -> KeyPlaceOut:
    place = key_places.create_key_place(db, actor, grid_index=_grids(request), data=body)
    db.commit()
    return KeyPlaceOut.model_validate(place)


@router.get("/key-places", response_model=list[KeyPlaceOut])
def get_key_places(
    db: DbSession,
    actor: CurrentActor,
    kind: PlaceKind | None = None,
    region: SearchText = None,
    limit: Limit = service.MAX_LIMIT,
) -> list[KeyPlaceOut]:
    places = key_places.list_key_places(db, actor, kind=kind, region_code=region, limit=limit)
    return [KeyPlaceOut.model_validate(place) for place in places]


@router.get("/key-places/{place_id}", response_model=KeyPlaceOut)
def get_key_place(place_id: RowId, db: DbSession, actor: CurrentActor) -> KeyPlaceOut:
    return KeyPlaceOut.model_validate(key_places.get_key_place(db, actor, place_id))


@router.get("/care-members", response_model=list[CareMemberOut])
def get_care_members(
    care_group: CareGroup,
    db: DbSession,
    actor: CurrentActor,
    region: SearchText = None,
    limit: Limit = service.MAX_LIMIT,
) -> list[CareMemberOut]:
    rows = care.care_members(db, actor, care_group=care_group, region_code=region, limit=limit)
    return [CareMemberOut.of(membership, resident) for membership, resident in rows]


@router.get("/addresses", response_model=list[AddressOut])
def get_addresses(
    q: Annotated[str, Query(min_length=1, max_length=200)],
    db: DbSession,
    actor: CurrentActor,
    limit: Limit = 50,
) -> list[AddressOut]:
    found = service.addresses_by_text(db, actor, text=q, limit=limit)
    return [AddressOut.model_validate(address) for address in found]


@router.get("/places", response_model=list[PlaceHitOut])
def get_places(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=places.MAX_QUERY * 2)] = "",
    limit: Annotated[int, Query(ge=1, le=places.MAX_PLACES)] = 10,
) -> list[PlaceHitOut]:
    """The address search box: roads, 小区, addresses, key places and regions matching `q`."""
    found = places.search_places(db, actor, grid_index=_grids(request), text=q, limit=limit)
    return [PlaceHitOut.model_validate(hit) for hit in found]


@router.post("/{subject}/{subject_id}/reveal", response_model=RevealOut)
def post_reveal(
    subject: Literal["residents", "housing", "organisations"],
    subject_id: RowId,
    body: RevealIn,
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
) -> RevealOut:
    """The unmasked value, once, with a reason; the audit row is stored with it."""
    value = reveals.reveal(
        db,
        actor,
        settings=_settings(request),
        subject_kind=SUBJECTS[subject],
        subject_id=subject_id,
        field=body.field,
        reason=body.reason,
    )
    db.commit()
    return RevealOut(field=body.field, value=value)


@router.get("/reveals", response_model=list[RevealRecordOut])
def get_reveals(db: DbSession, actor: CurrentActor, limit: Limit = 100) -> list[RevealRecordOut]:
    return [
        RevealRecordOut.model_validate(row) for row in reveals.list_reveals(db, actor, limit=limit)
    ]
