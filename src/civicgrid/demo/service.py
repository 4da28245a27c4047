"""Storing the demo city: regions, departments, one account per role, an API key.

The plan (geometry, names) comes from `demo.city`; this module writes it
through the domains' services and hands the credentials to the operator.
"""

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases import routing
from civicgrid.categories.classifier import model_path
from civicgrid.categories.government import import_government_taxonomy
from civicgrid.categories.in_force import (
    GOVERNMENT,
    categories_in_force,
    put_taxonomy_in_force,
    taxonomy_in_force,
)
from civicgrid.categories.models import Category
from civicgrid.categories.seeds import seed_builtin
from civicgrid.categories.weak_training import train_demo_model
from civicgrid.consult.answered import import_answered, read_csv
from civicgrid.consult.indexing import index_root, refresh
from civicgrid.db import Base, load_all_models
from civicgrid.demo.city import CityPlan, plan_city
from civicgrid.demo.filling import plan_fill
from civicgrid.divisions import Level
from civicgrid.geo.models import GeoRevision, Region
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import save_regions
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.settings import get_settings
from civicgrid.timeutil import utcnow

DEMO_REVISION = "demo"
DEMO_DAYS = 365
MESSAGES = Path("messages") / "messages_with_votes.csv"
# The unlabelled real messages the category model self-trains on (about 7,000).
TRAINING_MESSAGES = (MESSAGES, Path("messages") / "messages_with_replies.csv")
TAXONOMY = Path("messages") / "taxonomy.csv"
# The real messages with the government's replies: the demo's past answered questions.
ANSWERED_MESSAGES = Path("messages") / "messages_with_replies.csv"


@dataclass(frozen=True)
class DemoParameters:
    city_code: str
    grid_count: int
    seed: int
    # Whether the shared data folder (real citizen messages) was beside the checkout.
    shared_data: bool
    cases: int = 0

    def summary(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope_code: str
    scope_name: str
    department: str | None = None


@dataclass(frozen=True)
class DemoResult:
    built: bool
    region_counts: dict[str, int]
    accounts_path: Path
    notes: list[str]


def existing_demo(db: Session) -> DemoParameters | None:
    summary = db.scalar(
        select(GeoRevision.summary)
        .where(GeoRevision.kind == DEMO_REVISION)
        .order_by(GeoRevision.id.desc())
        .limit(1)
    )
    if not summary:
        return None
    try:
        return DemoParameters(**json.loads(summary))
    except TypeError:
        # Built by an older version (with other parameters): the caller finds its
        # regions and asks for --rebuild, which then brings the real townships.
        return None


def reset_database(engine: Engine) -> None:
    """Delete every row, children before parents, in one transaction.

    Regions and categories point at their parents (RESTRICT, checked row by
    row on SQLite), so those links are cut first; the schema and its
    migration version stay as they are.
    """
    load_all_models()
    with engine.begin() as connection:
        connection.execute(update(Region).values(parent_code=None))
        connection.execute(update(Category).values(parent_code=None))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def build_demo(
    db: Session,
    parameters: DemoParameters,
    *,
    shared_data: Path | None,
    accounts_path: Path,
) -> DemoResult:
    """Store the planned city, its accounts and the year of cases to fill in one
    transaction; the cases themselves are filled afterwards (`demo.filling`), so the
    city can be served while they come."""
    plan = plan_city(parameters.city_code, grid_count=parameters.grid_count, seed=parameters.seed)
    save_regions(db, plan.regions, kind=DEMO_REVISION, summary=parameters.summary())
    for department in plan.departments:
        auth_service.create_department(db, **asdict(department))
    taxonomy_note = _seed_categories(db, shared_data)
    routing.seed_default_rules(db)
    accounts = _create_accounts(db, plan, _previous_passwords(accounts_path))
    key_name, api_key = _create_api_key(db, plan)
    if parameters.cases:
        end = utcnow()
        start = end - timedelta(days=DEMO_DAYS)
        plan_fill(db, total=parameters.cases, seed=parameters.seed, start=start, end=end)
    db.commit()
    _write_accounts(accounts_path, parameters, accounts, key_name, api_key)
    notes = [*plan.notes, taxonomy_note, *_train_classifier(db, shared_data)]
    notes.append(_index_answers(db, parameters, shared_data))
    db.commit()
    return DemoResult(True, _counts(plan.regions), accounts_path, notes)


def _index_answers(db: Session, parameters: DemoParameters, shared_data: Path | None) -> str:
    """The consultation index: the demo's closed cases and, when the real replied messages
    are at hand, those as the city's past answered questions (智能咨询)."""
    replies = shared_data / ANSWERED_MESSAGES if shared_data is not None else None
    answered = 0
    if replies is not None and replies.is_file():
        answered = import_answered(db, read_csv(replies), region_code=parameters.city_code)
    done = refresh(db, index_root(get_settings()))
    return translate("consult.demo.indexed", answered=answered, cases=done.cases)


def _train_classifier(db: Session, shared_data: Path | None) -> list[str]:
    """The category model, from the seeded terms and, when at hand, self-trained on the
    real messages (`weak_training`)."""
    messages = [shared_data / name for name in TRAINING_MESSAGES] if shared_data else []
    model = train_demo_model(db, messages_paths=messages)
    if model is None:
        return []
    classes = len(model.classes)
    return [
        translate("cli.classifier_trained", rows=model.rows, classes=classes, path=model_path())
    ]


def messages_path(shared_data: Path | None) -> Path | None:
    """The real messages the cases' words are drawn from, when the shared data is at hand."""
    messages = shared_data / MESSAGES if shared_data is not None else None
    return messages if messages is not None and messages.is_file() else None


def _seed_categories(db: Session, shared_data: Path | None) -> str:
    """The built-in taxonomy; and the real government one when it is at hand, put alone in
    force as a city that imported it would (issue 16 measured suggestion on real messages
    at macro-F1 0.782 with its categories alone against 0.601 with both). The built-in
    categories stay stored for the administrators to see. Returns the note naming the
    taxonomy in force."""
    seed_builtin(db)
    taxonomy = shared_data / TAXONOMY if shared_data is not None else None
    if taxonomy is not None and taxonomy.is_file():
        import_government_taxonomy(db, taxonomy)
        put_taxonomy_in_force(db, choice=GOVERNMENT)
    choice = taxonomy_in_force(db)
    filed = [category for category in categories_in_force(db) if category.parent_code]
    name = translate(f"taxonomy_in_force.{choice}")
    return translate("demo.taxonomy_in_force", taxonomy=name, count=len(filed))


def _counts(regions: list[RegionRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for region in regions:
        counts[region.level.value] = counts.get(region.level.value, 0) + 1
    return counts


def _first(plan: CityPlan, level: Level, parent: str | None = None) -> RegionRecord:
    return next(
        region
        for region in plan.regions
        if region.level is level and (parent is None or region.parent_code == parent)
    )


def _account_specs(plan: CityPlan) -> list[tuple[str, Role, RegionRecord, str | None]]:
    """One account for every role at every level a walkthrough needs."""
    city = _first(plan, Level.CITY)
    district = _first(plan, Level.DISTRICT)
    street = _first(plan, Level.STREET, district.code)
    community = _first(plan, Level.COMMUNITY, street.code)
    grid = _first(plan, Level.GRID, community.code)
    city_police = f"{city.code}-police"
    district_urban = f"{district.code}-urban_management"
    return [
        ("admin", Role.ADMIN, city, None),
        ("leader", Role.LEADER, city, None),
        ("dispatcher.city", Role.DISPATCHER, city, None),
        (f"dispatcher.{district.code}", Role.DISPATCHER, district, None),
        (f"dispatcher.{street.code}", Role.DISPATCHER, street, None),
        (f"staff.{community.code}", Role.COMMUNITY_STAFF, community, None),
        (f"worker.{grid.code}", Role.GRID_WORKER, grid, None),
        (f"handler.{city_police}", Role.DEPARTMENT_HANDLER, city, city_police),
        (f"handler.{district_urban}", Role.DEPARTMENT_HANDLER, district, district_urban),
        (f"mediator.{street.code}", Role.MEDIATOR, street, None),
        ("resident", Role.RESIDENT, city, None),
    ]


def _create_accounts(db: Session, plan: CityPlan, previous: dict[str, str]) -> list[DemoAccount]:
    accounts = []
    for username, role, region, department in _account_specs(plan):
        password = previous.get(username) or _new_password()
        auth_service.create_user(
            db,
            username=username,
            password=password,
            role=role,
            scope_code=region.code,
            display_name=f"{region.name}{translate(f'page.role.{role.value}', DEFAULT_LOCALE)}",
            department_code=department,
        )
        accounts.append(
            DemoAccount(username, password, role.value, region.code, region.name, department)
        )
    return accounts


def _new_password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def _create_api_key(db: Session, plan: CityPlan) -> tuple[str, str]:
    city = _first(plan, Level.CITY)
    name = f"{city.name} 12345 / Open311 integration"
    _, raw = auth_service.create_api_key(db, name=name, scope_code=city.code)
    return name, raw


def _previous_passwords(path: Path) -> dict[str, str]:
    """Keep the passwords an operator already noted when the demo is rebuilt."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {row["username"]: row["password"] for row in data["accounts"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_accounts(
    path: Path,
    parameters: DemoParameters,
    accounts: list[DemoAccount],
    key_name: str,
    api_key: str,
) -> None:
    payload: dict[str, Any] = {
        "city": parameters.city_code,
        "url": "http://127.0.0.1:8000",
        "accounts": [asdict(account) for account in accounts],
        "api_keys": [{"name": key_name, "key": api_key, "header": "X-API-Key"}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
