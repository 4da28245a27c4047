"""The registry service: sealed numbers, exact look-up, households and housing, reveals with
their audit, jurisdiction, key rotation, and logs that never carry a number."""

import logging
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.service import GridIndex
from civicgrid.registry import care, households, organisations, residents, reveals, rotation, views
from civicgrid.registry.models import CareMembership, Household, Resident, Reveal
from civicgrid.registry.protection import FieldCipher, Keyring
from civicgrid.registry.schemas import (
    HouseholdIn,
    HousingIn,
    OrganisationIn,
    ResidentFields,
)
from civicgrid.registry.sealing import DOCUMENT, PHONE, cipher_for, index_of
from civicgrid.settings import Settings
from tests.factories import OTHER_DISTRICT, PASSWORD, City, People
from tests.registry.conftest import (
    LI,
    LI_PHONE,
    NEXT_GRID,
    OTHER_DISTRICT_GRID,
    OWN_COMMUNITY,
    OWN_GRID,
    WANG,
    WANG_PHONE,
    ZHAO,
    Registry,
    actor_of,
    add_resident,
    credit_code,
    id_number,
    place_in,
)


def test_the_id_number_is_sealed_and_what_it_encodes_is_derived(
    db: Session, settings: Settings, registry: Registry
):
    wang = db.get_one(Resident, registry.wang.id)
    assert WANG.encode() not in wang.document_token
    assert wang.document_index == index_of(cipher_for(settings), WANG, field=DOCUMENT)
    assert wang.phone_index == index_of(cipher_for(settings), WANG_PHONE, field=PHONE)
    assert (wang.birth_date, wang.sex, wang.origin_region_code) == (
        date(1985, 3, 12),
        "male",
        "530502",
    )
    assert wang.region_code == OWN_GRID


def test_the_same_person_cannot_be_registered_twice(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    with pytest.raises(Conflict) as refused:
        add_resident(
            db,
            settings,
            grid_index,
            actor=actor_of(db, "admin"),
            name="王小明",
            number=WANG.lower(),
            place=place_in(city, OWN_GRID, "正阳北路12号"),
        )
    assert refused.value.code == "registry_resident_exists"


def test_exact_look_up_by_id_number_and_phone_stays_inside_the_jurisdiction(
    db: Session, settings: Settings, registry: Registry
):
    owner, outsider = actor_of(db, "owner"), actor_of(db, "outsider")
    found = residents.residents_by_document(db, owner, settings=settings, number=f" {WANG} ")
    assert [row.id for row in found] == [registry.wang.id]
    by_phone = residents.residents_by_phone(db, owner, settings=settings, phone="138-1234-5678")
    assert [row.id for row in by_phone] == [registry.wang.id]
    assert residents.residents_by_document(db, outsider, settings=settings, number=WANG) == []
    assert residents.residents_by_phone(db, outsider, settings=settings, phone=WANG_PHONE) == []
    mine = residents.residents_by_document(db, outsider, settings=settings, number=ZHAO)
    assert [row.id for row in mine] == [registry.zhao.id]


def test_name_search_is_a_prefix_within_one_community(db: Session, registry: Registry):
    owner, outsider = actor_of(db, "owner"), actor_of(db, "outsider")
    found = residents.residents_by_name(db, owner, community_code=OWN_COMMUNITY, name="王")
    assert [row.id for row in found] == [registry.wang.id]
    assert residents.residents_by_name(db, owner, community_code=OWN_COMMUNITY, name="小明") == []
    assert residents.residents_by_name(db, outsider, community_code=OWN_COMMUNITY, name="王") == []
    with pytest.raises(Invalid):
        residents.residents_by_name(db, owner, community_code="530502001", name="王")


@pytest.mark.usefixtures("worker")
def test_a_grid_worker_sees_their_grid_only(db: Session, registry: Registry):
    grid_worker = actor_of(db, "worker")
    found = residents.residents_by_address(db, grid_worker, text="正阳北路")
    assert [row.id for row in found] == [registry.wang.id]
    with pytest.raises(NotFound):
        residents.get_resident(db, grid_worker, registry.li.id)


@pytest.mark.usefixtures("registry", "worker")
def test_a_grid_worker_cannot_register_someone_outside_their_grid(
    db: Session, settings: Settings, city: City, grid_index: GridIndex
):
    with pytest.raises(Forbidden) as refused:
        add_resident(
            db,
            settings,
            grid_index,
            actor=actor_of(db, "worker"),
            name="钱多",
            number=id_number("53050220000101002"),
            place=place_in(city, NEXT_GRID, "正阳北路16号"),
        )
    assert refused.value.code == "registry_outside_jurisdiction"


@pytest.mark.parametrize("username", ["owner", "leader"])
def test_readers_who_do_no_casework_may_not_write(
    db: Session, settings: Settings, city: City, people: People, username: str
):
    with pytest.raises(Forbidden):
        add_resident(
            db,
            settings,
            GridIndex(),
            actor=actor_of(db, username),
            name="孙立",
            number=id_number("53050220000101002"),
            place=place_in(city, OWN_GRID, "正阳北路16号"),
        )


def test_a_new_household_number_founds_a_household_that_others_join(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    spouse = add_resident(
        db,
        settings,
        grid_index,
        actor=admin,
        name="王妻",
        number=id_number("53050219860101002"),
        place=place_in(city, OWN_GRID, "正阳北路12号3栋2单元501室"),
        household="H0001",
    )
    household = db.get_one(Household, spouse.household_id)
    assert household.number == "H0001"
    assert household.address_id == registry.wang.address_id
    view = views.household_view(db, household)
    assert [member.name for member in view.members] == ["王小明", "王妻"]


def test_tenants_are_the_members_of_the_households_living_in_the_dwelling(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    lng, lat = city.point_in(OWN_GRID)
    housing = households.create_housing(
        db,
        admin,
        settings=settings,
        grid_index=grid_index,
        data=HousingIn.model_validate(
            {
                "address": {"address": "正阳北路12号3栋2单元501室", "lng": lng, "lat": lat},
                "tenure": "rented",
                "owner_name": "周房东",
                "owner_phone": "13600001111",
            }
        ),
    )
    view = views.housing_view(db, settings, housing)
    assert [tenant.name for tenant in view.tenants] == ["王小明"]
    assert view.owner_phone == "136****1111"
    with pytest.raises(Conflict):
        households.create_housing(
            db,
            admin,
            settings=settings,
            grid_index=grid_index,
            data=HousingIn.model_validate(
                {"address": {"address": "正阳北路12号3栋2单元501", "lng": lng, "lat": lat}}
            ),
        )


def test_a_household_is_registered_once_and_joined_only_inside_its_area(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    far = HouseholdIn(number="H0002", address=place_in(city, OTHER_DISTRICT_GRID, "保岫东路3号"))
    households.create_household(db, admin, grid_index=grid_index, data=far)
    with pytest.raises(Conflict):
        households.create_household(db, admin, grid_index=grid_index, data=far)
    with pytest.raises(Conflict) as refused:
        add_resident(
            db,
            settings,
            grid_index,
            actor=actor_of(db, "peer"),
            name="钱多",
            number=id_number("53050220000101002"),
            place=place_in(city, OWN_GRID, "正阳北路16号"),
            household="H0002",
        )
    assert refused.value.code == "registry_household_exists"


def test_an_organisation_needs_a_valid_unique_credit_code(
    db: Session, settings: Settings, city: City, people: People, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    lng, lat = city.point_in(OWN_GRID)
    body = {
        "name": "保山市某某商贸有限公司",
        "credit_code": credit_code(),
        "address": {"address": "正阳北路20号", "lng": lng, "lat": lat},
        "contact_phone": "0875-2123456",
    }
    created = organisations.create_organisation(
        db, admin, settings=settings, grid_index=grid_index, data=OrganisationIn(**body)
    )
    assert created.credit_code == credit_code()
    with pytest.raises(Conflict) as twice:
        organisations.create_organisation(
            db, admin, settings=settings, grid_index=grid_index, data=OrganisationIn(**body)
        )
    assert twice.value.code == "registry_organisation_exists"
    broken = {**body, "credit_code": credit_code()[:-1] + "0"}
    with pytest.raises(Invalid) as invalid:
        organisations.create_organisation(
            db, admin, settings=settings, grid_index=grid_index, data=OrganisationIn(**broken)
        )
    assert invalid.value.code.startswith("credit_code")


def test_care_groups_are_replaced_and_follow_the_resident(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    residents.update_resident(
        db,
        admin,
        registry.wang.id,
        settings=settings,
        grid_index=grid_index,
        data=ResidentFields.model_validate(
            {
                "care_groups": ["disabled", "lonely_elderly"],
                "address": place_in(city, NEXT_GRID, "正阳北路14号2栋").model_dump(),
            }
        ),
    )
    rows = db.execute(
        select(CareMembership.care_group, CareMembership.region_code).where(
            CareMembership.resident_id == registry.wang.id
        )
    ).all()
    assert sorted(rows) == [("disabled", NEXT_GRID), ("lonely_elderly", NEXT_GRID)]
    elderly = care.care_members(db, admin, care_group="lonely_elderly")
    assert [resident.id for _, resident in elderly] == [registry.wang.id]


def test_a_reveal_returns_the_value_and_is_recorded(
    db: Session, settings: Settings, registry: Registry
):
    peer = actor_of(db, "peer")
    value = reveals.reveal(
        db,
        peer,
        settings=settings,
        subject_kind="resident",
        subject_id=registry.wang.id,
        field="document_number",
        reason="核实低保申请人身份",
    )
    assert value == WANG
    [record] = db.scalars(select(Reveal)).all()
    assert (record.username, record.role, record.subject_id, record.field, record.region_code) == (
        "peer",
        "community_staff",
        registry.wang.id,
        "document_number",
        OWN_GRID,
    )
    assert record.reason == "核实低保申请人身份"
    assert [row.id for row in reveals.list_reveals(db, actor_of(db, "leader"))] == [record.id]
    assert reveals.list_reveals(db, actor_of(db, "admin"))[0].id == record.id


def test_a_reveal_outside_the_jurisdiction_is_not_found_and_not_recorded(
    db: Session, settings: Settings, registry: Registry
):
    for username, error in (("outsider", NotFound), ("leader", Forbidden), ("owner", Forbidden)):
        with pytest.raises(error):
            reveals.reveal(
                db,
                actor_of(db, username),
                settings=settings,
                subject_kind="resident",
                subject_id=registry.wang.id,
                field="phone",
                reason="想看看号码",
            )
    assert db.scalars(select(Reveal)).all() == []


def test_a_reveal_needs_a_real_reason(db: Session, settings: Settings, registry: Registry):
    with pytest.raises(Invalid) as refused:
        reveals.reveal(
            db,
            actor_of(db, "peer"),
            settings=settings,
            subject_kind="resident",
            subject_id=registry.wang.id,
            field="phone",
            reason="  看 ",
        )
    assert refused.value.code == "registry_reveal_reason"


def test_rotation_reseals_every_value_under_a_new_key(
    db: Session, settings: Settings, registry: Registry
):
    before = {row.id: row.document_index for row in db.scalars(select(Resident))}
    assert rotation.rotate_keys(db, settings) == 6
    db.expire_all()
    residents = list(db.scalars(select(Resident)))
    assert {FieldCipher.key_id_of(row.document_token) for row in residents} == {2}
    assert {FieldCipher.key_id_of(row.phone_token or b"") for row in residents} == {2}
    assert {row.id: row.document_index for row in residents} == before
    peer = actor_of(db, "peer")
    revealed = reveals.reveal(
        db,
        peer,
        settings=settings,
        subject_kind="resident",
        subject_id=registry.li.id,
        field="phone",
        reason="回访核实",
    )
    assert revealed == LI_PHONE
    assert rotation.rotate_keys(db, settings, add_key=False) == 0


def test_keys_from_the_environment_are_not_written_by_rotation(
    db: Session, settings: Settings, people: People
):
    keyed = settings.model_copy(update={"registry_keys": Keyring.fresh().to_json()})
    with pytest.raises(Invalid) as refused:
        rotation.rotate_keys(db, keyed)
    assert refused.value.code == "registry_rotate_environment_keys"
    assert rotation.rotate_keys(db, keyed, add_key=False) == 0


@pytest.mark.usefixtures("people")
def test_logs_never_carry_an_unmasked_number(
    db: Session,
    settings: Settings,
    city: City,
    grid_index: GridIndex,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    admin = actor_of(db, "admin")
    resident = add_resident(
        db,
        settings,
        grid_index,
        actor=admin,
        name="李华",
        number=LI,
        phone=LI_PHONE,
        place=place_in(city, OWN_GRID, "正阳北路12号"),
    )
    residents.residents_by_document(db, admin, settings=settings, number=LI)
    residents.residents_by_phone(db, admin, settings=settings, phone=LI_PHONE)
    reveals.reveal(
        db,
        admin,
        settings=settings,
        subject_kind="resident",
        subject_id=resident.id,
        field="document_number",
        reason="核实身份信息",
    )
    with pytest.raises(Invalid):
        residents.residents_by_document(db, admin, settings=settings, number=LI[:-1] + "0")
    text = caplog.text + " ".join(str(record.args) for record in caplog.records)
    assert caplog.records
    for number in (LI, LI_PHONE, LI[:-1]):
        assert number not in text


def test_a_new_address_keeps_the_household_and_a_new_household_moves_the_person(
    db: Session, settings: Settings, city: City, registry: Registry, grid_index: GridIndex
):
    admin = actor_of(db, "admin")
    moved = residents.update_resident(
        db,
        admin,
        registry.wang.id,
        settings=settings,
        grid_index=grid_index,
        data=ResidentFields(address=place_in(city, NEXT_GRID, "正阳北路14号2栋")),
    )
    assert moved.household_id == registry.wang.household_id
    assert moved.region_code == NEXT_GRID
    joined = residents.update_resident(
        db,
        admin,
        registry.li.id,
        settings=settings,
        grid_index=grid_index,
        data=ResidentFields(household_number="H0001"),
    )
    household = db.get_one(Household, joined.household_id)
    assert household.number == "H0001"
    assert (joined.address_id, joined.region_code) == (household.address_id, OWN_GRID)


@pytest.mark.usefixtures("worker")
def test_community_staff_strike_a_person_off_and_the_audit_stays(
    db: Session, settings: Settings, registry: Registry
):
    peer = actor_of(db, "peer")
    reveals.reveal(
        db,
        peer,
        settings=settings,
        subject_kind="resident",
        subject_id=registry.wang.id,
        field="phone",
        reason="迁出前电话核实",
    )
    with pytest.raises(Forbidden):
        residents.remove_resident(db, actor_of(db, "worker"), registry.wang.id)
    auth_service.create_user(
        db,
        username="far_staff",
        password=PASSWORD,
        role=Role.COMMUNITY_STAFF,
        scope_code=OTHER_DISTRICT,
    )
    with pytest.raises(NotFound):
        residents.remove_resident(db, actor_of(db, "far_staff"), registry.wang.id)
    residents.remove_resident(db, peer, registry.wang.id)
    db.commit()
    assert db.get(Resident, registry.wang.id) is None
    assert db.scalars(select(CareMembership)).all() == []
    assert [row.subject_id for row in db.scalars(select(Reveal))] == [registry.wang.id]
