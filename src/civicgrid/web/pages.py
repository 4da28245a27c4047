"""The web pages: sign-in, sign-out and the grid map, in the user's language.

Pages sign in with an HttpOnly session cookie (the same token kind the API
accepts), so the map's scripts call the API as the user without ever holding
a credential. The cookie is SameSite=Lax, HttpOnly, and Secure in production;
every write it carries (and the sign-in form) must also come from this origin with
the page's CSRF token (see web/security.py), which each page renders for its scripts
and forms.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.handling import DismissReason
from civicgrid.alarms.models import DeviceStatus
from civicgrid.alarms.roles import ALARM_HANDLERS, ALARM_READERS, CAMERA_VIEWERS, DEVICE_KEEPERS
from civicgrid.alarms.rules import alarm_rules
from civicgrid.alarms.thresholds import measures
from civicgrid.analytics import dashboard
from civicgrid.analytics import service as analytics
from civicgrid.analytics.roles import DASHBOARD_VIEWERS
from civicgrid.analytics.schemas import DashboardOut
from civicgrid.auth import service as auth_service
from civicgrid.auth.deps import SESSION_COOKIE, CurrentVisitor, DbSession, Locale, OptionalActor
from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES, STAFF_ROLES
from civicgrid.auth.scope import Actor
from civicgrid.cases.models import CHANNELS, DESK_CHANNELS
from civicgrid.cases.roles import CASE_SUPERVISION_READERS, CENTRE, CENTRE_DESK, DEPARTMENT_DESK
from civicgrid.cases.routing import TargetLevel
from civicgrid.cases.states import Queue, statuses_in
from civicgrid.categories.in_force import CHOICES as TAXONOMY_CHOICES
from civicgrid.categories.in_force import taxonomy_in_force
from civicgrid.categories.reference import SLA_STAGES
from civicgrid.disputes.models import DisputeKind, ReferralTarget
from civicgrid.disputes.roles import CENTRE as DISPUTE_CENTRE
from civicgrid.disputes.roles import REGISTRARS
from civicgrid.errors import DomainError, TooManyRequests, Unauthorized
from civicgrid.fieldwork.assessment import Item
from civicgrid.fieldwork.models import Cadence
from civicgrid.fieldwork.roles import PLAN_ROLES, SUMMONERS, WEIGHT_ROLES
from civicgrid.geo import service as geo_service
from civicgrid.geo.basemap import page_config
from civicgrid.geo.crs import Crs
from civicgrid.i18n import translate
from civicgrid.registry import roles as registry_roles
from civicgrid.registry.importing import report as registry_import_report
from civicgrid.resources.models import ResourceKind
from civicgrid.roster import service as roster
from civicgrid.roster.api import DutyOut
from civicgrid.roster.roles import ROSTER_READERS
from civicgrid.settings import Settings
from civicgrid.timeutil import DISPLAY_ZONE, utcnow
from civicgrid.web.password_pages import password_page_for
from civicgrid.web.rendering import (
    ADMIN_PAGE_ROLES,
    asset,
    named_choices,
    page_strings,
    render_page,
    signed_in,
    staff_header,
    turned_away,
    with_language,
)
from civicgrid.web.security import same_site_path

LOGIN_FIELDS = ("username", "password")
CASE_STRING_PREFIXES = ("case.status.",)
# Each role's queues on the workbench, as the case list's filters (see cases.api.get_cases);
# which statuses a tab lists is the `queues` column of the states table.
CENTRE_TABS: dict[str, dict[str, Any]] = {
    "intake": {"state": statuses_in(Queue.CENTRE_INTAKE), "unlocated": False},
    "unlocated": {"state": statuses_in(Queue.CENTRE_INTAKE), "unlocated": True},
    "in_hand": {"state": statuses_in(Queue.CENTRE_IN_HAND)},
    "to_close": {"state": statuses_in(Queue.CENTRE_TO_CLOSE)},
    "overdue": {"overdue": True},
    "all": {},
}
DEPARTMENT_TABS: dict[str, dict[str, Any]] = {
    "mine": {"state": statuses_in(Queue.DEPARTMENT_MINE), "mine": True},
    "overdue": {"overdue": True, "mine": True},
    "done": {"state": statuses_in(Queue.DEPARTMENT_DONE), "mine": True},
}
FIELD_TABS: dict[str, dict[str, Any]] = {
    "to_verify": {"state": statuses_in(Queue.FIELD_TO_VERIFY)},
    "in_hand": {"state": statuses_in(Queue.FIELD_IN_HAND)},
    "all": {},
}
router = APIRouter(include_in_schema=False)


@router.get("/")
def map_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    if (away := turned_away(request, actor)) is not None:
        return away
    settings: Settings = request.app.state.settings
    return render_page(
        request,
        "map.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale),
        config=page_config(settings),
    )


@router.get("/desk")
def desk_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """The workbench: each role's queues, the open case and the moves the reader may make."""
    if (away := turned_away(request, actor)) is not None:
        return away
    settings: Settings = request.app.state.settings
    tabs = desk_tabs(actor.role)
    may_bulk = actor.role in CENTRE
    return render_page(
        request,
        "desk.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=CASE_STRING_PREFIXES),
        tabs=list(tabs),
        may_bulk=may_bulk,
        intake_channels=DESK_CHANNELS,
        all_channels=CHANNELS,
        may_view_cameras=actor.role in CAMERA_VIEWERS,
        may_read_alarms=actor.role in ALARM_READERS,
        may_read_supervisions=actor.role in CASE_SUPERVISION_READERS,
        config={
            "tabs": tabs,
            "mayReadSupervisions": actor.role in CASE_SUPERVISION_READERS,
            # A case devices opened shows the alarms it gathered to those who read alarms.
            "mayReadAlarms": actor.role in ALARM_READERS,
            "alarmTypes": {kind: rule.label(locale) for kind, rule in alarm_rules().items()},
            "mayBulk": may_bulk,
            **page_config(settings),
            "mayViewCameras": actor.role in CAMERA_VIEWERS,
            "cameraRadius": round(settings.camera_radius_m),
            "playerUrl": asset("camera-player.js"),
        },
    )


@router.get("/field")
def field_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """The grid worker's phone app; it keeps working offline once opened (see field-sw.js)."""
    if (away := turned_away(request, actor)) is not None:
        return away
    return render_page(
        request,
        "field.html",
        locale,
        username=actor.display_name or actor.username,
        scope_code=actor.scope_code,
        visit_items=[item.value for item in Item],
        strings=page_strings(locale, extra=CASE_STRING_PREFIXES),
        config={"scopeCode": actor.scope_code},
    )


@router.get("/sos")
def sos_page(request: Request, locale: Locale) -> Response:
    """A key place's SOS terminal (平安校园/平安医院): no account; the device's code and key,
    enrolled from the link an administrator was given, live in the browser (see sos.js)."""
    return render_page(request, "sos.html", locale, strings=page_strings(locale))


@router.get("/fieldwork")
def fieldwork_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """Grid workers' scores and rankings, suspicious records, plans and score weights."""
    if (away := turned_away(request, actor, STAFF_ROLES)) is not None:
        return away
    return render_page(
        request,
        "fieldwork.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=("fieldwork.task.",)),
        month=utcnow().astimezone(DISPLAY_ZONE).strftime("%Y-%m"),
        cadences=[cadence.value for cadence in Cadence],
        may_plan=actor.role in PLAN_ROLES,
        may_weigh=actor.role in WEIGHT_ROLES and auth_service.is_city_admin(actor),
    )


@router.get("/mediation")
def mediation_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """Dispute mediation: the area's disputes, sessions, agreement, referral and follow-up."""
    if (away := turned_away(request, actor)) is not None:
        return away
    is_mediator = actor.role is Role.MEDIATOR
    return render_page(
        request,
        "mediation.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=("dispute.kind.", "dispute.role.")),
        is_mediator=is_mediator,
        may_register=actor.role in REGISTRARS,
        may_assign=actor.role in DISPUTE_CENTRE,
        kinds=[kind.value for kind in DisputeKind],
        referral_targets=[target.value for target in ReferralTarget],
        config={"isMediator": is_mediator, "mayAssign": actor.role in DISPUTE_CENTRE},
    )


@router.get("/admin")
def admin_page(request: Request, db: DbSession, actor: OptionalActor, locale: Locale) -> Response:
    """Accounts, departments, categories and time limits, routing rules, grid files, devices.

    Time limits and the category workbook are the whole city's: only a city
    administrator is offered them; others write routing rules of their own area.
    The devices section is drawn for the roles that keep devices (alarms/roles.py),
    so a dispatcher opens the page too and finds that section alone.
    """
    if (away := turned_away(request, actor, ADMIN_PAGE_ROLES)) is not None:
        return away
    city_admin = auth_service.is_city_admin(actor)
    settings: Settings = request.app.state.settings
    administrator = actor.role in ADMIN_ROLES
    may_keep_devices = actor.role in DEVICE_KEEPERS
    return render_page(
        request,
        "admin.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=("resource.kind.",)),
        sections=_admin_sections(
            administrator=administrator, city_admin=city_admin, may_keep_devices=may_keep_devices
        ),
        administrator=administrator,
        may_keep_devices=may_keep_devices,
        device_kinds=[kind.value for kind in DeviceKind],
        device_statuses=[status.value for status in DeviceStatus],
        alarm_types=[(rule.type, rule.label(locale)) for rule in alarm_rules().values()],
        measures=[
            (item.measure, item.name_en if locale.startswith("en") else item.name, item.unit)
            for item in measures().values()
        ],
        roles=[role.value for role in Role],
        stages=list(SLA_STAGES),
        channels=list(CHANNELS),
        target_levels=[level.value for level in TargetLevel],
        crs_choices=[system.value for system in Crs],
        resource_kinds=[kind.value for kind in ResourceKind],
        department_kinds=named_choices(locale, "page.department_kind."),
        city_admin=city_admin,
        taxonomy_in_force=taxonomy_in_force(db),
        taxonomy_choices=list(TAXONOMY_CHOICES),
        config={
            "stages": list(SLA_STAGES),
            "cityAdmin": city_admin,
            "administrator": administrator,
            "mayKeepDevices": may_keep_devices,
            **page_config(settings),
            "bbox": geo_service.grid_extent(db) if may_keep_devices else None,
        },
    )


def _admin_sections(*, administrator: bool, city_admin: bool, may_keep_devices: bool) -> list[str]:
    """Threshold rules are the whole city's, read and changed by its administrators only."""
    sections = [
        "users",
        "departments",
        "categories",
        "rules",
        "roster",
        "resources",
        "grids",
        "alarm_rules",
        *(["thresholds"] if city_admin else []),
    ]
    return [*(sections if administrator else []), *(["devices"] if may_keep_devices else [])]


@router.get("/command")
def command_page(request: Request, db: DbSession, actor: OptionalActor, locale: Locale) -> Response:
    """The command centre's big screen, for the roles that watch an area (others: workbench)."""
    if (away := turned_away(request, actor, DASHBOARD_VIEWERS)) is not None:
        return away
    settings: Settings = request.app.state.settings
    return render_page(
        request,
        "command.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=("resource.kind.",)),
        may_read_alarms=actor.role in ALARM_READERS,
        may_handle_alarms=actor.role in ALARM_HANDLERS,
        on_duty=_on_duty(db, actor, locale),
        dismiss_reasons=[reason.value for reason in DismissReason],
        config={
            **page_config(settings),
            "maySummon": actor.role in SUMMONERS,
            "chartsUrl": asset("command-charts.js"),
            "mayReadAlarms": actor.role in ALARM_READERS,
            "mayHandleAlarms": actor.role in ALARM_HANDLERS,
            "alarmTypes": {kind: rule.label(locale) for kind, rule in alarm_rules().items()},
            # The first picture comes with the page: no round trip before the figures show.
            "initial": DashboardOut.of(dashboard.dashboard(db, actor)).model_dump(mode="json"),
        },
    )


def _on_duty(db: Session, actor: Actor, locale: str) -> list[DutyOut] | None:
    """Who is on duty in the reader's area this shift, for the big screen's header."""
    if actor.role not in ROSTER_READERS:
        return None
    return [DutyOut.of(duty, locale) for duty in roster.today(db, actor)]


class IndicatorsAsked(BaseModel):
    """The leader view's form, as it travels in the query string."""

    start: str | None = Field(default=None, alias="from", max_length=10)
    to: str | None = Field(default=None, max_length=10)
    group: str = Field(default=analytics.Grouping.DISTRICT.value, max_length=16)
    region: str | None = Field(default=None, max_length=15)


@router.get("/indicators")
def indicators_page(
    request: Request,
    db: DbSession,
    actor: OptionalActor,
    locale: Locale,
    form: Annotated[IndicatorsAsked, Query()],
) -> Response:
    """The leader's view: the period's evaluation figures per group, drawn on the server.

    The figures arrive with the page (one round trip); the Excel link asks the
    API for the same report. A refusal is shown at the form, never as a 500.
    """
    if (away := turned_away(request, actor)) is not None:
        return away
    asked = {
        "from": form.start or "",
        "to": form.to or "",
        "group": form.group,
        "region": form.region or "",
    }
    found, error, status_code = None, None, 200
    try:
        period = analytics.parse_period(form.start, form.to, today=analytics.local_today())
        found = analytics.report(
            db, actor, period=period, group_by=form.group, region_code=form.region or None
        )
    except DomainError as refusal:
        error, status_code = refusal.message(locale), refusal.status_code
    query = urlencode({key: value for key, value in asked.items() if value})
    return render_page(
        request,
        "indicators.html",
        locale,
        status_code=status_code,
        **staff_header(actor, locale),
        asked=asked,
        groups=[grouping.value for grouping in analytics.Grouping],
        report=found,
        error=error,
        export_url=f"/api/v1/indicators.xlsx?{query}",
        strings=page_strings(locale),
    )


@router.get("/registry")
def registry_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """The registry for staff: search, reveal with a reason, import, and the audit of reveals.

    What a role may do decides which sections are drawn; the API checks again.
    """
    if (away := turned_away(request, actor)) is not None:
        return away
    return render_page(
        request,
        "registry.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale),
        may_import=actor.role in registry_roles.IMPORT_ROLES,
        may_read_audit=actor.role in registry_roles.AUDIT_ROLES,
        import_kinds=[kind.value for kind in registry_import_report.ImportKind],
        config={
            "scopeCode": actor.scope_code,
            "mayReveal": actor.role in registry_roles.REVEAL_ROLES,
        },
    )


@router.get("/report")
def resident_page(request: Request, db: DbSession, locale: Locale) -> Response:
    """The resident portal: report a problem and track it, with no account needed."""
    settings: Settings = request.app.state.settings
    return render_page(
        request,
        "resident.html",
        locale,
        strings=page_strings(locale),
        config={
            **page_config(settings),
            "bbox": geo_service.grid_extent(db),
        },
    )


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    going = same_site_path(request.query_params.get("next"))
    if signed_in(actor):
        return with_language(request, RedirectResponse(going, status_code=303))
    return _login_page(request, locale, going=going)


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    locale: Locale,
    *,
    visitor: CurrentVisitor,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    going: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    username = username.strip()
    going = same_site_path(going)
    missing = {
        field: translate("page.login.required", locale)
        for field, value in zip(LOGIN_FIELDS, (username, password), strict=True)
        if not value
    }
    if missing:
        return _login_page(
            request, locale, username=username, errors=missing, status_code=422, going=going
        )
    try:
        user = auth_service.sign_in(db, visitor, username=username, password=password)
    except (Unauthorized, TooManyRequests) as refusal:
        errors = {"password": refusal.message(locale)}
        page = _login_page(
            request,
            locale,
            username=username,
            errors=errors,
            status_code=refusal.status_code,
            going=going,
        )
        if isinstance(refusal, TooManyRequests):
            page.headers.update(refusal.headers())
        return page
    token = auth_service.issue_token(db, user=user, kind="session")
    db.commit()
    if user.must_change_password:
        going = password_page_for(going)
    response = RedirectResponse(going, status_code=303)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        auth_service.revoke_token(db, raw=raw)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    settings: Settings = request.app.state.settings
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )
    return response


def desk_tabs(role: Role | None) -> dict[str, dict[str, Any]]:
    if role in CENTRE_DESK:
        return CENTRE_TABS
    if role in DEPARTMENT_DESK:
        return DEPARTMENT_TABS
    return FIELD_TABS


def _login_page(
    request: Request,
    locale: str,
    *,
    username: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    going: str = "/",
) -> Response:
    """`going`: where the user was going when asked to sign in (a same-site path)."""
    errors = errors or {}
    focus = "password" if username and "username" not in errors else "username"
    return render_page(
        request,
        "login.html",
        locale,
        status_code=status_code,
        username=username,
        errors=errors,
        focus=focus,
        going=going,
    )
