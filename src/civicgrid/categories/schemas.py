"""What the category API takes and returns."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.categories.drafts import (
    MAX_CODE_LENGTH,
    MAX_NAME_EN_LENGTH,
    MAX_NAME_LENGTH,
    CategoryDraft,
)
from civicgrid.categories.excel import CategoryImportReport
from civicgrid.categories.models import Category
from civicgrid.categories.reference import DEFAULT_HOUR_BASIS, RiskClass
from civicgrid.categories.taxonomy import category_tree


class CategoryFields(BaseModel):
    """The editable fields; the service judges their meaning, this only their shape."""

    parent_code: str | None = Field(default=None, max_length=MAX_CODE_LENGTH)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    name_en: str = Field(default="", max_length=MAX_NAME_EN_LENGTH)
    sla_hours: dict[str, float] = Field(default_factory=dict, description="stage -> hours")
    hour_basis: str = Field(default=DEFAULT_HOUR_BASIS, description="natural | working")
    default_departments: dict[str, str] = Field(
        default_factory=dict, description="city | district -> department kind"
    )
    self_resolvable: bool = False
    risk_class: str | None = Field(default=None, max_length=40)
    keywords: list[str] = Field(default_factory=list, max_length=500)
    attributes: list[dict[str, Any]] = Field(
        default_factory=list, description="Open311 attribute definitions"
    )
    active: bool = True
    position: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class CategoryIn(CategoryFields):
    code: str = Field(max_length=MAX_CODE_LENGTH, examples=["UM-01-10"])

    def draft(self) -> CategoryDraft:
        return CategoryDraft(**self.model_dump())


class CategoryChange(CategoryFields):
    """A PUT names only the fields it changes; the rest keep their stored value."""

    name: str = Field(default="", max_length=MAX_NAME_LENGTH)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    parent_code: str | None
    level: int
    name: str
    name_en: str
    source: str
    sla_hours: dict[str, float]
    hour_basis: str
    default_departments: dict[str, str]
    self_resolvable: bool
    risk_class: str | None
    keywords: list[str]
    attributes: list[dict[str, Any]]
    active: bool
    position: int


class CategoryGroupOut(CategoryOut):
    categories: list[CategoryOut]


class CategoryListOut(BaseModel):
    """Every category flat, and the same as a tree of groups for a picker."""

    items: list[CategoryOut]
    tree: list[CategoryGroupOut]

    @classmethod
    def of(cls, categories: list[Category]) -> "CategoryListOut":
        tree = [
            CategoryGroupOut(
                **CategoryOut.model_validate(group).model_dump(),
                categories=[CategoryOut.model_validate(child) for child in children],
            )
            for group, children in category_tree(categories)
        ]
        return cls(items=[CategoryOut.model_validate(c) for c in categories], tree=tree)


class RiskClassOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    description: str

    @classmethod
    def of(cls, risk: RiskClass) -> "RiskClassOut":
        return cls.model_validate(risk)


class RowErrorOut(BaseModel):
    row: int
    column: str
    code: str
    message: str


class ImportReportOut(BaseModel):
    file: str
    read: int
    created: int
    updated: int
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, report: CategoryImportReport, locale: str) -> "ImportReportOut":
        errors = [
            RowErrorOut(
                row=error.row,
                column=error.column_label(locale),
                code=error.code,
                message=error.message(locale),
            )
            for error in report.errors
        ]
        return cls(
            file=report.file,
            read=report.read,
            created=report.created,
            updated=report.updated,
            errors=errors,
        )


class TaxonomyInForceIn(BaseModel):
    choice: str = Field(max_length=16, examples=["government"])


class TaxonomyInForceOut(BaseModel):
    """The taxonomy in force and every choice a city administrator may make."""

    choice: str
    choices: list[str]


class SuggestIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)


class AlternativeOut(BaseModel):
    code: str
    confidence: float


class SuggestionOut(BaseModel):
    """A category suggestion: the group first, then the category, each with its confidence.

    `code`, `confidence`, `source`, `alternatives` and `low_confidence` are the
    fields callers read before suggestion became hierarchical.
    """

    code: str
    confidence: float
    source: str
    alternatives: list[AlternativeOut]
    low_confidence: bool
    group_code: str | None
    group_confidence: float
    confidence_in_group: float
