"""Where each row lies: its grid (from its point or its code) and its standard address."""

from civicgrid.auth.scope import may_see
from civicgrid.errors import BatchInvalid, DomainError
from civicgrid.registry.addresses import AddressInput, ensure_address_ids
from civicgrid.registry.importing.rows import Context, Row


def place_rows(context: Context, rows: list[Row]) -> None:
    """Each row's grid: from its point when it has one (one vectorised lookup), else its code.

    The location cells were checked against each other when the row was read (preparing)."""
    pointed = [row for row in rows if row.ok and row.values["lng"] is not None]
    locator = context.grid_index.current(context.db)
    if pointed:
        slots = locator.locate_many(
            [row.values["lng"] for row in pointed], [row.values["lat"] for row in pointed]
        )
        for row, slot in zip(pointed, slots, strict=True):
            if slot < 0:
                row.refuse("lng", "registry_import_point_outside")
            else:
                row.region_code = locator.codes[int(slot)]
    for row in rows:
        if row.ok and not row.region_code:
            _region_from_code(context, row)
        if row.ok and not may_see(context.actor, row.region_code):
            row.refuse("grid_code", "registry_import_out_of_scope", code=row.region_code)


def _region_from_code(context: Context, row: Row) -> None:
    code = row.values.get("grid_code")
    if code is None:
        row.refuse("grid_code", "registry_import_no_location")
    elif code not in context.known_areas:
        row.refuse("grid_code", "registry_import_area_unknown", code=code)
    else:
        row.region_code = code


def resolve_addresses(context: Context, rows: list[Row]) -> list[Row]:
    """Standard addresses for the chunk in one batch; texts met before come from the cache.

    Returns the rows still good: an address the address book cannot place refuses its rows.
    """
    wanted = [row for row in rows if row.values.get("address")]
    new: dict[str, Row] = {}
    for row in wanted:
        if row.values["address"] not in context.address_ids:
            new.setdefault(row.values["address"], row)
    refused = _ensure_addresses(context, new)
    for row in wanted:
        text = row.values["address"]
        if text in refused:
            row.refuse("address", refused[text].code, **refused[text].params)
        else:
            row.address_id = context.address_ids[text]
    return [row for row in rows if row.ok]


def _ensure_addresses(context: Context, new: dict[str, Row]) -> dict[str, DomainError]:
    """Store the new address texts; the ones refused come back with why.

    The address book checks a whole batch before writing any of it, so after a
    refusal the rest is simply asked again.
    """
    refused: dict[str, DomainError] = {}
    texts = list(new)
    while texts:
        items = [_address_input(new[text]) for text in texts]
        try:
            found = ensure_address_ids(
                context.db, items, grid_index=context.grid_index, book=context.address_book
            )
        except BatchInvalid as batch:
            refused |= {texts[position]: problem for position, problem in batch.items}
            texts = [text for text in texts if text not in refused]
            continue
        context.address_ids |= dict(zip(texts, found, strict=True))
        break
    return refused


def _address_input(row: Row) -> AddressInput:
    values = row.values
    return AddressInput(
        full_text=values["address"],
        lng=values["lng"],
        lat=values["lat"],
        region_code=row.region_code,
    )
