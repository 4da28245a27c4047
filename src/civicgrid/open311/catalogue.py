"""Open311 services: one per active level-2 category in force, and each one's questions.

A service's definition lists the category's attributes completed with the
spec's defaults, so a client can ask them before it posts a request.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.categories import in_force
from civicgrid.categories import taxonomy as categories_taxonomy
from civicgrid.categories.models import Category
from civicgrid.errors import Invalid, NotFound
from civicgrid.open311.schemas import AttributeOut, DefinitionOut, ServiceOut, ValueOut

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def services(db: Session, *, locale: str) -> list[ServiceOut]:
    """One service per active level-2 category in force, grouped under its level-1 name."""
    return [
        _service(category, group, locale)
        for group, members in categories_taxonomy.category_tree(in_force.categories_in_force(db))
        for category in members
    ]


def _service(category: Category, group: Category, locale: str) -> ServiceOut:
    name = service_name(category, locale)
    return ServiceOut(
        service_code=category.code,
        service_name=name,
        description=name,
        metadata=bool(category.attributes),
        type="realtime",
        keywords=",".join(str(word) for word in category.keywords or []),
        group=service_name(group, locale),
    )


def service_name(category: Category, locale: str) -> str:
    return category.name_en if locale == "en" and category.name_en else category.name


def service_category(db: Session, code: str) -> Category | None:
    """The same rule intake files cases by: an active level-2 category of the taxonomy in force."""
    try:
        return in_force.require_in_force(db, code.strip())
    except Invalid:
        return None


def definition(db: Session, code: str) -> DefinitionOut:
    category = service_category(db, code)
    if category is None:
        raise NotFound("open311_service_unknown", code=code)
    return DefinitionOut(service_code=category.code, attributes=attributes_of(category))


def attributes_of(category: Category) -> list[AttributeOut]:
    """The category's attribute definitions, completed with the spec's defaults, in order."""
    attributes = [
        _attribute(raw, position)
        for position, raw in enumerate(category.attributes or [], start=1)
        if isinstance(raw, Mapping) and raw.get("code")
    ]
    return sorted(attributes, key=lambda attribute: attribute.order)


def _attribute(raw: Mapping[str, Any], position: int) -> AttributeOut:
    values = [
        ValueOut(key=str(value.get("key", "")), name=str(value.get("name", value.get("key", ""))))
        for value in raw.get("values") or []
        if isinstance(value, Mapping)
    ]
    datatype = str(raw.get("datatype", "string"))
    return AttributeOut(
        variable=bool(raw.get("variable", True)),
        code=str(raw["code"]),
        datatype=datatype if datatype in DATATYPES else "string",
        required=bool(raw.get("required", False)),
        datatype_description=str(raw.get("datatype_description", "")),
        order=int(raw.get("order", position)),
        description=str(raw.get("description", raw["code"])),
        values=values,
    )
