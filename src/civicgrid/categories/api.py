"""Category endpoints: the public list residents pick from, and the administrator's edits."""

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.responses import JSONResponse

from civicgrid.auth.deps import CurrentActor, DbSession, Locale, OptionalActor
from civicgrid.categories import classifier, excel, in_force, reference, service, taxonomy
from civicgrid.categories.keyword_rules import category_terms
from civicgrid.categories.schemas import (
    AlternativeOut,
    CategoryChange,
    CategoryIn,
    CategoryListOut,
    CategoryOut,
    ImportReportOut,
    RiskClassOut,
    SuggestIn,
    SuggestionOut,
    TaxonomyInForceIn,
    TaxonomyInForceOut,
)
from civicgrid.downloads import attachment
from civicgrid.errors import NotFound, error_body
from civicgrid.i18n import translate

router = APIRouter(prefix="/api/v1/categories", tags=["categories"])


@router.get("", response_model=CategoryListOut)
def get_categories(
    db: DbSession, actor: OptionalActor, include_inactive: bool = False
) -> CategoryListOut:
    """Open to anyone: a resident chooses a category before signing in.

    The categories a case may be filed under: those of the taxonomy in force. With
    `include_inactive`, administrators managing the taxonomy get every category,
    inactive ones and those of other taxonomies, to switch them back on or edit.
    """
    if include_inactive:
        service.require_admin(actor)
        return CategoryListOut.of(taxonomy.list_categories(db, active_only=False))
    return CategoryListOut.of(in_force.categories_in_force(db))


@router.get("/risk-classes", response_model=list[RiskClassOut])
def get_risk_classes() -> list[RiskClassOut]:
    return [RiskClassOut.of(risk) for risk in reference.risk_classes()]


@router.get("/export.xlsx", response_class=Response)
def get_export(db: DbSession, actor: CurrentActor, locale: Locale) -> Response:
    service.require_admin(actor)
    body = excel.export_workbook(db, locale=locale)
    return attachment(body, "categories.xlsx")


@router.post("/import", response_model=ImportReportOut)
def post_import(
    db: DbSession, actor: CurrentActor, locale: Locale, file: Annotated[UploadFile, File()]
) -> ImportReportOut | JSONResponse:
    """All or nothing: a workbook with any error is refused with every row error listed."""
    service.require_keeper(actor)
    content = file.file.read(excel.MAX_WORKBOOK_BYTES + 1)
    name = file.filename or "upload.xlsx"
    report = ImportReportOut.of(
        excel.import_workbook(db, actor=actor, content=content, filename=name), locale
    )
    if report.errors:
        db.rollback()
        message = translate("error.category_import_refused", locale, count=len(report.errors))
        body = error_body("category_import_refused", message, report=report.model_dump(mode="json"))
        return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    db.commit()
    return report


@router.get("/taxonomy-in-force", response_model=TaxonomyInForceOut)
def get_taxonomy_in_force(db: DbSession, actor: CurrentActor) -> TaxonomyInForceOut:
    service.require_admin(actor)
    return TaxonomyInForceOut(choice=in_force.taxonomy_in_force(db), choices=list(in_force.CHOICES))


@router.put("/taxonomy-in-force", response_model=TaxonomyInForceOut)
def put_taxonomy_in_force(
    body: TaxonomyInForceIn, db: DbSession, actor: CurrentActor
) -> TaxonomyInForceOut:
    """City-wide: suggestion offers only the chosen taxonomy's categories from the next case on."""
    choice = in_force.set_taxonomy_in_force(db, actor=actor, choice=body.choice)
    db.commit()
    return TaxonomyInForceOut(choice=choice, choices=list(in_force.CHOICES))


@router.post("/suggest", response_model=SuggestionOut | None)
def post_suggest(body: SuggestIn, db: DbSession, actor: CurrentActor) -> SuggestionOut | None:
    """The suggested group and category for a text, from the taxonomy in force; null when
    nothing in the text points anywhere. Any signed-in caller: it reads no case."""
    found = classifier.suggest(body.text, category_terms(db))
    if found is None:
        return None
    return SuggestionOut(
        code=found.code,
        confidence=found.confidence,
        source=found.source,
        alternatives=[
            AlternativeOut(code=a.code, confidence=a.confidence) for a in found.alternatives
        ],
        low_confidence=found.low_confidence,
        group_code=found.group,
        group_confidence=found.group_confidence,
        confidence_in_group=found.confidence_in_group,
    )


@router.get("/{code}", response_model=CategoryOut)
def get_category(code: str, db: DbSession) -> CategoryOut:
    category = taxonomy.get_category(db, code)
    if category is None:
        raise NotFound("category_not_found", code=code)
    return CategoryOut.model_validate(category)


@router.post("", response_model=CategoryOut, status_code=status.HTTP_201_CREATED)
def post_category(body: CategoryIn, db: DbSession, actor: CurrentActor) -> CategoryOut:
    category = service.create_category(db, actor=actor, draft=body.draft())
    db.commit()
    return CategoryOut.model_validate(category)


@router.put("/{code}", response_model=CategoryOut)
def put_category(
    code: str, body: CategoryChange, db: DbSession, actor: CurrentActor
) -> CategoryOut:
    category = service.update_category(db, actor=actor, code=code, changes=body.changes())
    db.commit()
    return CategoryOut.model_validate(category)


@router.delete("/{code}", response_model=CategoryOut)
def delete_category(code: str, db: DbSession, actor: CurrentActor) -> CategoryOut:
    """Deactivates: cases filed under the category keep pointing at it."""
    category = service.deactivate_category(db, actor=actor, code=code)
    db.commit()
    return CategoryOut.model_validate(category)
