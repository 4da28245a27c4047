"""The `civicgrid` command: serve, worker, demo, migrate, imports, user and API keys."""

import json
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from civicgrid.alarms import cli as alarms_cli
from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import KeyKind, Role
from civicgrid.backup import backup_command, restore_command
from civicgrid.console import (
    console_actor,
    console_locale,
    database,
    default_shared,
    domain_errors_exit,
    say,
    stop_on_signals,
)
from civicgrid.consult import cli as consult_cli
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.demo import cli as demo_cli
from civicgrid.diagnosis import cli as diagnosis_cli
from civicgrid.disputes import cli as disputes_cli
from civicgrid.fieldwork import cli as fieldwork_cli
from civicgrid.i18n import translate
from civicgrid.registry import cli as registry_cli
from civicgrid.serving import run_server
from civicgrid.settings import get_settings
from civicgrid.sources import cli as sources_cli


@click.group()
def main() -> None:
    """civicgrid 市域社会治理平台 command line."""
    try:
        get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        click.echo(translate("cli.bad_settings", console_locale(), problems=problems), err=True)
        sys.exit(2)


@main.command()
@click.option("--host", default=None, help="Bind address (default CIVICGRID_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default CIVICGRID_PORT or 8000).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes (default CIVICGRID_WORKERS or 1); all state is in the database.",
)
@click.option("--with-worker", is_flag=True, help="Also run the worker loop in a thread (demo).")
@domain_errors_exit
def serve(host: str | None, port: int | None, workers: int | None, with_worker: bool) -> None:
    """Run the web server (migrates the database first)."""
    run_server(host=host, port=port, workers=workers, with_worker=with_worker)


@main.command()
@click.option("--once", is_flag=True, help="One round (sweep and deliver), then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between rounds (default CIVICGRID_WORKER_INTERVAL_SECONDS or 30).",
)
def worker(once: bool, interval: float | None) -> None:
    """Raise SLA urges and 督办, deliver notifications and webhooks; stops on SIGTERM/SIGINT."""
    import threading  # noqa: PLC0415

    from civicgrid import worker as background  # noqa: PLC0415
    from civicgrid.logs import configure_worker_logging  # noqa: PLC0415

    settings = get_settings()
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    try:
        if once:
            tick = background.run_once(sessions, background.new_worker_id())
            say(
                "cli.worker_once",
                urged=tick.swept.urged,
                supervised=tick.swept.supervised,
                sent=tick.delivered.sent,
                retried=tick.delivered.retried,
                failed=tick.delivered.failed,
            )
            return
        configure_worker_logging(settings)
        stop = threading.Event()
        stop_on_signals(stop)
        every = interval or settings.worker_interval_seconds
        say("cli.worker_started", interval=every)
        background.run(sessions, interval=every, stop=stop)
    finally:
        engine.dispose()


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    engine = create_db_engine(get_settings().effective_database_url)
    upgrade_database(engine)
    engine.dispose()
    say("cli.migrated")


@main.group()
def audit() -> None:
    """Check the hash-chained histories."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk every case's chain and the change log's; exit 1 if any row was edited or removed."""
    from civicgrid.integrity import check_chains  # noqa: PLC0415

    with database() as db:
        report = check_chains(db)
    for problem in report.problems:
        click.echo(problem)
    if report.problems:
        say("cli.audit_broken", count=len(report.problems))
        sys.exit(1)
    say("cli.audit_intact", cases=report.cases, changes=report.admin_changes)


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--scope", "scope_code", required=True, help="Region code of the jurisdiction.")
@click.option("--name", "display_name", default="")
@click.option("--department", "department_code", default=None)
@domain_errors_exit
def user_create(**fields: Any) -> None:
    """Add an account."""
    with database() as db:
        created = auth_service.register_user(db, console_actor(), **fields)
        db.commit()
        say("cli.user_created", username=created.username, role=created.role)


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@domain_errors_exit
def user_list(as_json: bool) -> None:
    """List every account (the command line acts as a whole-country administrator)."""
    with database() as db:
        users = auth_service.list_users(db, console_actor())
        rows = [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "scope_code": u.scope_code,
                "active": u.active,
            }
            for u in users
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['username']:<28} {row['role']:<20} {row['scope_code']:<16} {row['display_name']}"
        )


@main.group("api-key")
def api_key() -> None:
    """Manage integration keys (Open311 clients, hotline systems); devices get theirs
    when registered (`civicgrid alarms`, the admin page)."""


@api_key.command("create")
@click.option("--name", required=True, help="Who uses the key, e.g. the app's name.")
@click.option("--scope", "scope_code", required=True, help="Region code the key files for.")
@click.option("--kind", type=click.Choice([kind.value for kind in KeyKind]), default="integration")
@domain_errors_exit
def api_key_create(name: str, scope_code: str, kind: str) -> None:
    """Add a key and print it once: only its HMAC is stored."""
    with database() as db:
        key, raw = auth_service.register_api_key(
            db, console_actor(), name=name, scope_code=scope_code, kind=kind
        )
        db.commit()
        say("cli.api_key_created", name=key.name, scope=key.scope_code)
    click.echo(raw)


@main.group()
def classifier() -> None:
    """Train and evaluate the case category classifier."""


@classifier.command("train")
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to save the model (default CIVICGRID_CLASSIFIER_PATH or the data folder).",
)
@domain_errors_exit
def classifier_train(csv_file: Path, out_path: Path | None) -> None:
    """Train from a CSV with text,category (or 文本,类别) columns; labels are category codes."""
    from civicgrid.categories import classifier as text_classifier  # noqa: PLC0415
    from civicgrid.categories.keyword_rules import category_terms  # noqa: PLC0415
    from civicgrid.categories.training import train  # noqa: PLC0415
    from civicgrid.categories.training_data import read_training_csv  # noqa: PLC0415

    rows = read_training_csv(csv_file)
    with database() as db:
        known = {terms.code for terms in category_terms(db, in_force_only=False)}
    model = train(rows, known_codes=known)
    path = text_classifier.save_model(model, out_path or text_classifier.model_path())
    say("cli.classifier_trained", rows=model.rows, classes=len(model.classes), path=path)


@classifier.command("evaluate")
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The model to score (default: the configured one).",
)
@click.option("--per-class", is_flag=True, help="Also print support and F1 per category.")
@domain_errors_exit
def classifier_evaluate(csv_file: Path, model_file: Path | None, per_class: bool) -> None:
    """Score a model on labelled rows: accuracy and macro-F1."""
    from civicgrid.categories import classifier as text_classifier  # noqa: PLC0415
    from civicgrid.categories.training import evaluate  # noqa: PLC0415
    from civicgrid.categories.training_data import read_training_csv  # noqa: PLC0415

    rows = read_training_csv(csv_file)
    model = text_classifier.load_model(model_file or text_classifier.model_path())
    report = evaluate(model, rows)
    if per_class:
        for code, support in report.support.items():
            click.echo(f"{code:<20} {support:>6} {report.f1[code]:.3f}")
    say(
        "cli.classifier_evaluated",
        rows=report.rows,
        accuracy=f"{report.accuracy:.3f}",
        macro_f1=f"{report.macro_f1:.3f}",
    )


@main.command("import-regions")
@click.option(
    "--codes",
    "codes_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder of NBS tables (provinces/cities/counties/townships.csv); "
    "without it, the 2023 codes that ship with civicgrid.",
)
@click.option("--boundaries", "boundaries_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--prefix", default="", help="Only codes starting with these digits, e.g. 5305.")
@domain_errors_exit
def import_regions(codes_dir: Path | None, boundaries_dir: Path | None, prefix: str) -> None:
    """Load national division codes and DataV district boundaries (GCJ-02 → WGS-84)."""
    from civicgrid.geo.region_import import import_regions as run_import  # noqa: PLC0415

    boundaries_dir = boundaries_dir or default_shared("geo", "boundaries")
    with database() as db:
        report = run_import(db, codes_dir=codes_dir, boundaries_dir=boundaries_dir, prefix=prefix)
        db.commit()
    for line in report.lines(console_locale()):
        click.echo(line)


@main.command("import-grids")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--crs", default="wgs84", show_default=True, type=click.Choice(["wgs84", "gcj02", "bd09"])
)
@click.option("--dry-run", is_flag=True, help="Validate and report; store nothing.")
@domain_errors_exit
def import_grids(file: Path, crs: str, dry_run: bool) -> None:
    """Import grids from GeoJSON or a Shapefile (.shp/.zip): all or nothing."""
    from civicgrid.geo.grid_import import import_grids as run_import  # noqa: PLC0415

    with database() as db:
        report = run_import(db, path=file, crs=crs, dry_run=dry_run)
        db.commit()
    for line in report.lines(console_locale()):
        click.echo(line)
    if not report.ok:
        sys.exit(1)


@main.group()
def categories() -> None:
    """Manage the case taxonomy."""


@categories.command("seed")
@domain_errors_exit
def categories_seed() -> None:
    """Store the built-in categories that are missing; edited ones stay as they are."""
    from civicgrid.categories.seeds import seed_builtin  # noqa: PLC0415

    with database() as db:
        created = seed_builtin(db)
        db.commit()
    say("cli.categories_seeded", created=created)


@categories.command("import-taxonomy")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_errors_exit
def categories_import_taxonomy(csv_file: Path) -> None:
    """Import a government taxonomy CSV (一级分类,二级分类,三级分类) as GOV- categories."""
    from civicgrid.categories.government import import_government_taxonomy  # noqa: PLC0415

    with database() as db:
        report = import_government_taxonomy(db, csv_file)
        db.commit()
    say(
        "cli.taxonomy_imported",
        groups=report.groups_created,
        categories=report.categories_created,
        keywords=report.keywords_added,
        skipped=report.rows_skipped,
    )


@categories.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@domain_errors_exit
def categories_export(file: Path) -> None:
    """Write every category to an Excel workbook."""
    from civicgrid.categories.excel import export_workbook  # noqa: PLC0415
    from civicgrid.categories.taxonomy import list_categories  # noqa: PLC0415

    with database() as db:
        file.write_bytes(export_workbook(db, locale=console_locale()))
        count = len(list_categories(db, active_only=False))
    say("cli.categories_exported", count=count, path=file)


@categories.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_errors_exit
def categories_import(file: Path) -> None:
    """Create or update categories from an Excel workbook: all or nothing."""
    from civicgrid.categories.excel import import_workbook  # noqa: PLC0415

    with database() as db:
        report = import_workbook(
            db, actor=console_actor(), content=file.read_bytes(), filename=file.name
        )
        db.commit()
    for line in report.lines(console_locale()):
        click.echo(line)
    if not report.ok:
        sys.exit(1)


@main.group("routing")
def routing_group() -> None:
    """Manage the routing table (分级分类)."""


@routing_group.command("seed")
@domain_errors_exit
def routing_seed() -> None:
    """Give an empty routing table the starting rules; a table with rules is left alone."""
    from civicgrid.cases.routing import seed_default_rules  # noqa: PLC0415

    with database() as db:
        added = seed_default_rules(db)
        db.commit()
    say("cli.routing_seeded", added=added)


@registry_cli.group.command("rotate-keys")
@click.option("--resume", is_flag=True, help="Finish an interrupted rotation without adding a key.")
@domain_errors_exit
def registry_rotate_keys(resume: bool) -> None:
    """Add a registry encryption key and re-encrypt every ID number and phone under it,
    reporters' phones and names on cases included.

    Defined here, above the domains, because the keys seal both the registry's
    columns and the cases' reporters, and neither domain reaches into the other.
    """
    from civicgrid.cases.reporters import reseal_reporters  # noqa: PLC0415
    from civicgrid.registry.protection import FieldCipher, load_keyring  # noqa: PLC0415
    from civicgrid.registry.rotation import rotate_keys  # noqa: PLC0415

    with database() as db:
        count = rotate_keys(db, get_settings(), add_key=not resume)
        keyring = load_keyring(get_settings())
        count += reseal_reporters(db, FieldCipher(keyring))
        record_change(
            db,
            author=console_actor(),
            kind=ChangeKind.REGISTRY_KEYS,
            action="resume" if resume else "rotate",
            target="registry_keys",
            after={"current_key": keyring.current_key_id, "resealed": count},
        )
        db.commit()
    say("cli.registry_keys_rotated", count=count)


main.add_command(registry_cli.group)
main.add_command(fieldwork_cli.group)
main.add_command(disputes_cli.group)
main.add_command(alarms_cli.group)
main.add_command(backup_command)
main.add_command(restore_command)
main.add_command(diagnosis_cli.group)
main.add_command(sources_cli.group)
main.add_command(demo_cli.demo)
main.add_command(consult_cli.group)
