"""Organisations, one row per unified social credit code."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import Conflict, Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry.models import Organisation
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.roles import READ_ROLES, WRITE_ROLES
from civicgrid.registry.schemas import OrganisationFields, OrganisationIn
from civicgrid.registry.sealing import CONTACT_PHONE, cipher_for, new_uid, sealed_phone
from civicgrid.registry.service import MAX_LIMIT, locate_place, require_role, visible
from civicgrid.registry.validation import parse_credit_code
from civicgrid.settings import Settings


def create_organisation(
    db: Session,
    actor: Actor,
    *,
    settings: Settings,
    grid_index: GridIndex,
    data: OrganisationIn,
) -> Organisation:
    """An organisation by its credit code (GB 32100-checked); one row per code."""
    require_role(actor, WRITE_ROLES)
    code = parse_credit_code(data.credit_code).code
    if db.scalar(select(Organisation.id).where(Organisation.credit_code == code)) is not None:
        raise Conflict("registry_organisation_exists", code=code)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    organisation = Organisation(
        uid=new_uid(),
        name=data.name.strip(),
        credit_code=code,
        kind=data.kind.value,
        address_id=address.id,
        region_code=address.region_code,
    )
    _apply_organisation(cipher_for(settings), organisation, data)
    db.add(organisation)
    db.flush()
    return organisation


def update_organisation(
    db: Session,
    actor: Actor,
    organisation_id: int,
    *,
    settings: Settings,
    data: OrganisationFields,
) -> Organisation:
    require_role(actor, WRITE_ROLES)
    organisation = visible(db, actor, Organisation, organisation_id)
    if "name" in data.model_fields_set and data.name is not None:
        organisation.name = data.name.strip()
    if "kind" in data.model_fields_set and data.kind is not None:
        organisation.kind = data.kind.value
    _apply_organisation(cipher_for(settings), organisation, data)
    db.flush()
    return organisation


def _apply_organisation(
    cipher: FieldCipher, organisation: Organisation, data: OrganisationFields
) -> None:
    sent = data.model_fields_set
    for name in ("legal_representative", "employees"):
        if name in sent:
            setattr(organisation, name, getattr(data, name))
    if "contact_phone" in sent:
        organisation.contact_phone_token, organisation.contact_phone_index = sealed_phone(
            cipher, data.contact_phone, field=CONTACT_PHONE, uid=organisation.uid
        )


def get_organisation(db: Session, actor: Actor, organisation_id: int) -> Organisation:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Organisation, organisation_id)


def search_organisations(
    db: Session,
    actor: Actor,
    *,
    name: str | None = None,
    credit_code: str | None = None,
    limit: int = 50,
) -> list[Organisation]:
    """By exact credit code, or by the start of the name."""
    require_role(actor, READ_ROLES)
    query = select(Organisation).where(in_scope(actor, Organisation.region_code))
    if credit_code is not None:
        query = query.where(Organisation.credit_code == parse_credit_code(credit_code).code)
    elif name is not None and name.strip():
        query = query.where(Organisation.name.startswith(name.strip(), autoescape=True))
    else:
        raise Invalid("registry_search_criterion")
    return list(db.scalars(query.order_by(Organisation.name).limit(min(limit, MAX_LIMIT))))
