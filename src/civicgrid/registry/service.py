"""What every registry verb starts from: who may act, inside which area, at which place.

Who may do what (docs/registry.md has the table): administrators, community staff and
grid workers write and reveal inside their scope; leaders and centre dispatchers read
masked rows; leaders and administrators read the reveal audit; everyone else, and
integration keys, see nothing of the registry. A row outside the actor's scope is
"not found", never "forbidden", so its existence does not leak.

The verbs live by subject: residents, households (with housing), organisations,
key_places, care (care groups), reveals, rotation (re-encrypting under a new key);
views shapes rows for responses. Files: importing/ and export.
"""

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.errors import BatchInvalid, Forbidden, Invalid, NotFound
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import AddressInput, ensure_addresses, normalise_address
from civicgrid.registry.models import Address, Household, Housing, KeyPlace, Organisation, Resident
from civicgrid.registry.roles import READ_ROLES
from civicgrid.registry.schemas import PlaceIn

MAX_LIMIT = 200
_SCOPED = TypeVar("_SCOPED", bound=Resident | Household | Housing | Organisation | KeyPlace)


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden("registry_role_not_allowed")


def require_inside(actor: Actor, region_code: str) -> None:
    """A write outside the actor's area is refused; the caller named the place, so no leak."""
    if not may_see(actor, region_code):
        raise Forbidden("registry_outside_jurisdiction", code=region_code)


def visible(db: Session, actor: Actor, model: type[_SCOPED], row_id: int) -> _SCOPED:
    """One row inside the actor's jurisdiction; anything else is simply not found."""
    row = db.scalar(select(model).where(model.id == row_id, in_scope(actor, model.region_code)))
    if row is None:
        raise NotFound("registry_not_found", id=row_id)
    return row


def locate_place(db: Session, actor: Actor, *, grid_index: GridIndex, place: PlaceIn) -> Address:
    """The leaf address of one place, created if new, and inside the actor's area."""
    item = AddressInput(place.address, place.lng, place.lat, place.grid_code)
    try:
        [address] = ensure_addresses(db, [item], grid_index=grid_index)
    except BatchInvalid as refused:
        raise refused.items[0][1] from None
    require_inside(actor, address.region_code)
    return address


def search_text(text: str) -> str:
    normalised = normalise_address(text)
    if not normalised:
        raise Invalid("registry_search_text_required")
    return normalised


def addresses_by_text(db: Session, actor: Actor, *, text: str, limit: int = 50) -> list[Address]:
    """Addresses containing the text, in the actor's area, most specific last."""
    require_role(actor, READ_ROLES)
    query = (
        select(Address)
        .where(
            in_scope(actor, Address.region_code),
            Address.full_text.contains(search_text(text), autoescape=True),
        )
        .order_by(Address.full_text)
        .limit(min(limit, MAX_LIMIT))
    )
    return list(db.scalars(query))
