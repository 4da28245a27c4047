"""Dispute mediation: register, assign, mediate, agree or refer, follow up.

Each verb runs in the caller's transaction, checks who may act inside which
area, changes status only through `workflow.transition`, and re-checks the
escalation triage where the facts it reads have changed.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.cases.service import visible_case
from civicgrid.disputes import documents, triage
from civicgrid.disputes import workflow as flow
from civicgrid.disputes.access import readable
from civicgrid.disputes.models import (
    Dispute,
    DisputeEvent,
    DisputeNumberCounter,
    DisputeParty,
    FollowUpVisit,
    MediationSession,
    MediatorProfile,
    Source,
)
from civicgrid.disputes.roles import CENTRE, MEDIATOR_KEEPERS, MEDIATORS, REGISTRARS
from civicgrid.disputes.schemas import (
    AgreementIn,
    DisputeIn,
    FollowUpIn,
    PartyIn,
    PartyOut,
    SessionIn,
)
from civicgrid.disputes.states import FOLLOW_UP, MEDIATOR_LOAD, OWN_ENDPOINT, Status
from civicgrid.disputes.workflow import SYSTEM, Change
from civicgrid.divisions import Level, contains, level_of, normalise_code
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.models import Region
from civicgrid.i18n import translate
from civicgrid.masking import mask_id_number, mask_phone
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.sealing import cipher_for, new_uid, open_token, seal
from civicgrid.registry.validation import parse_credit_code, parse_phone, parse_resident_id
from civicgrid.settings import Settings, get_settings
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

# Field names the parties' tokens are bound to; renaming one makes stored tokens unreadable.
PARTY_PHONE = "dispute_party_phone"
PARTY_DOCUMENT = "dispute_party_document"
MAX_DAILY_SEQUENCE = 9999
PLACEABLE = frozenset({Level.GRID, Level.COMMUNITY})


@dataclass(frozen=True)
class Choice:
    """A mediator the platform picked, and why, in words a dispatcher can check."""

    user: User
    open_load: int


def create_dispute(
    db: Session, actor: Actor, *, settings: Settings, data: DisputeIn, now: datetime
) -> Dispute:
    """Register a dispute, assign a mediator when one fits, and triage it; the caller commits."""
    require_role(actor, REGISTRARS)
    case_number, region = _origin(db, actor, data)
    dispute = Dispute(
        number=_next_number(db, region, now),
        status=Status.REGISTERED.value,
        source=data.source.value,
        kind=data.kind.value,
        case_number=case_number,
        referred_by=data.referred_by.strip(),
        amount=data.amount,
        people_involved=data.people_involved,
        description=data.description.strip(),
        region_code=region,
        created_by=flow.actor_label(actor),
        created_at=now,
        updated_at=now,
        version=0,
    )
    db.add(dispute)
    db.flush()
    _add_parties(db, cipher_for(settings), dispute, data.parties)
    flow.record_event(
        db,
        dispute,
        from_status=None,
        to=Status.REGISTERED,
        actor=dispute.created_by,
        note="",
        now=now,
    )
    choice = choose_mediator(db, dispute)
    if choice is not None:
        _assign(db, dispute, mediator=choice.user, actor=SYSTEM, note=_auto_reason(choice), now=now)
    triage.alert_if_high(db, dispute, now)
    return dispute


def _origin(db: Session, actor: Actor, data: DisputeIn) -> tuple[str | None, str]:
    """The linked case and the area: a case's own area, else a grid or community given."""
    if data.source is Source.CASE:
        if not data.case_number:
            raise Invalid("dispute_case_required")
        case = visible_case(db, actor, data.case_number.strip())
        return case.number, case.region_code
    if data.source is Source.REFERRAL and not data.referred_by.strip():
        raise Invalid("dispute_referrer_required")
    if not data.region_code:
        raise Invalid("dispute_region_required")
    return None, _placeable_region(db, actor, data.region_code)


def _placeable_region(db: Session, actor: Actor, raw: str) -> str:
    code = normalise_code(raw)
    if level_of(code) not in PLACEABLE:
        raise Invalid("dispute_region_level", code=code)
    if db.get(Region, code) is None or not may_see(actor, code):
        raise NotFound("region_not_found", code=code)
    return code


def _next_number(db: Session, region: str, now: datetime) -> str:
    """MD + district + local date + a 4-digit sequence from a counter row locked until commit."""
    prefix = f"{region[:6]}{now.astimezone(DISPLAY_ZONE):%Y%m%d}"
    upsert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    insert = upsert(DisputeNumberCounter).values(prefix=prefix, last=1)
    raised = insert.on_conflict_do_update(
        index_elements=[DisputeNumberCounter.prefix],
        set_={"last": DisputeNumberCounter.last + 1},
    ).returning(DisputeNumberCounter.last)
    last = int(db.execute(raised).scalar_one())
    if last > MAX_DAILY_SEQUENCE:
        raise Conflict("dispute_numbers_exhausted", prefix=prefix)
    return f"MD{prefix}{last:04d}"


def _add_parties(
    db: Session, cipher: FieldCipher, dispute: Dispute, parties: list[PartyIn]
) -> None:
    db.add_all(
        _party_row(cipher, dispute, party, position)
        for position, party in enumerate(parties, start=1)
    )


def _party_row(
    cipher: FieldCipher, dispute: Dispute, party: PartyIn, position: int
) -> DisputeParty:
    """Validate a party's numbers, then keep them only sealed (and indexed for repeats)."""
    uid = new_uid()
    row = DisputeParty(
        dispute_id=dispute.id,
        uid=uid,
        position=position,
        kind=party.kind.value,
        role=party.role.value,
        name=party.name.strip(),
        credit_code=parse_credit_code(party.credit_code).code if party.credit_code else None,
    )
    if party.phone:
        phone = seal(cipher, parse_phone(party.phone).digits, field=PARTY_PHONE, uid=uid)
        row.phone_token, row.phone_index = phone.token, phone.index
    if party.id_number:
        number = parse_resident_id(party.id_number).number
        document = seal(cipher, number, field=PARTY_DOCUMENT, uid=uid)
        row.document_token, row.document_index = document.token, document.index
    return row


def choose_mediator(db: Session, dispute: Dispute) -> Choice | None:
    """An active mediator taking this type whose area covers the dispute, least loaded first.

    Ties go to the most local mediator (the longest scope code), then the earliest account.
    """
    candidates = [
        Choice(user=user, open_load=load)
        for user, profile, load in _mediators_with_load(db)
        if profile.active
        and user.active
        and dispute.kind in profile.kinds
        and contains(user.scope_code, dispute.region_code)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.open_load, -len(c.user.scope_code), c.user.id))


def _mediators_with_load(db: Session) -> list[tuple[User, MediatorProfile, int]]:
    load = (
        select(func.count(Dispute.id))
        .where(Dispute.mediator_id == User.id, Dispute.status.in_([s.value for s in MEDIATOR_LOAD]))
        .scalar_subquery()
    )
    rows = db.execute(
        select(User, MediatorProfile, load)
        .join(MediatorProfile, MediatorProfile.user_id == User.id)
        .where(User.role == Role.MEDIATOR.value)
        .order_by(User.id)
    ).all()
    return [(user, profile, int(count)) for user, profile, count in rows]


def _auto_reason(choice: Choice) -> str:
    # Stored in the platform's language, like notification titles: it is a record, not a label.
    return translate(
        "dispute.assign.auto_reason",
        get_settings().default_locale,
        name=choice.user.display_name,
        scope=choice.user.scope_code,
        load=choice.open_load,
    )


def _assign(
    db: Session, dispute: Dispute, *, mediator: User, actor: Actor, note: str, now: datetime
) -> None:
    flow.transition(
        db,
        dispute_id=dispute.id,
        change=Change(to=Status.ASSIGNED, note=note, mediator_id=mediator.id),
        actor=actor,
        now=now,
    )


def assign(
    db: Session, actor: Actor, *, number: str, mediator: str | None, note: str, now: datetime
) -> Dispute:
    """A centre dispatcher names a mediator, or asks the platform to choose one; a mediator
    takes a dispute on themselves (the workflow refuses them anyone else)."""
    dispute = visible_dispute(db, actor, number)
    require_role(actor, CENTRE | MEDIATORS)
    if actor.role in MEDIATORS:
        mediator = mediator or actor.username
    if mediator is None:
        choice = choose_mediator(db, dispute)
        if choice is None:
            raise Invalid("dispute_no_mediator", kind=dispute.kind, region=dispute.region_code)
        _assign(
            db,
            dispute,
            mediator=choice.user,
            actor=actor,
            note=note or _auto_reason(choice),
            now=now,
        )
    else:
        _assign(
            db,
            dispute,
            mediator=_mediator_for(db, dispute, mediator),
            actor=actor,
            note=note,
            now=now,
        )
    return dispute


def _mediator_for(db: Session, dispute: Dispute, username: str) -> User:
    user = db.scalar(
        select(User)
        .join(MediatorProfile, MediatorProfile.user_id == User.id)
        .where(User.username == username, User.role == Role.MEDIATOR.value, MediatorProfile.active)
    )
    if user is None or not user.active:
        raise Invalid("dispute_mediator_unknown", username=username)
    if not contains(user.scope_code, dispute.region_code):
        raise Invalid("dispute_mediator_out_of_area", username=username, region=dispute.region_code)
    return user


def record_session(
    db: Session, actor: Actor, *, number: str, data: SessionIn, now: datetime
) -> MediationSession:
    """The assigned mediator records a session; the first one starts the mediation."""
    dispute = visible_dispute(db, actor, number)
    # Only the assigned mediator records, whether or not this session starts the mediation.
    flow.require_may_act(actor, dispute, Status.MEDIATING)
    if Status(dispute.status) is Status.ASSIGNED:
        flow.transition(
            db, dispute_id=dispute.id, change=Change(to=Status.MEDIATING), actor=actor, now=now
        )
    elif Status(dispute.status) is not Status.MEDIATING:
        raise Conflict("dispute_not_mediating", number=number, status=dispute.status)
    session = MediationSession(
        dispute_id=dispute.id,
        mode=data.mode.value,
        held_at=_moment(data.held_at),
        place=data.place.strip(),
        participants=[name.strip() for name in data.participants],
        record=data.record.strip(),
        result=data.result.value,
        recorded_by=flow.actor_label(actor),
        created_at=now,
    )
    db.add(session)
    db.flush()
    triage.alert_if_high(db, dispute, now)
    return session


def _moment(when: datetime) -> datetime:
    """A time without a zone is what a mediator in China typed: Shanghai local time."""
    return as_utc(when if when.tzinfo else when.replace(tzinfo=DISPLAY_ZONE))


def agree(
    db: Session, actor: Actor, *, settings: Settings, number: str, data: AgreementIn, now: datetime
) -> Dispute:
    """Record the agreed terms and produce the agreement document."""
    dispute = visible_dispute(db, actor, number)
    agreement = {
        "agreement_terms": data.terms.strip(),
        "performance_method": data.performance_method.strip(),
        "performance_deadline": data.performance_deadline,
    }
    change = Change(to=Status.AGREED, note=data.note, agreement=agreement)
    flow.transition(db, dispute_id=dispute.id, change=change, actor=actor, now=now)
    path = documents.write_agreement(_agreement_text(db, dispute, now), agreement_dir(settings))
    dispute.agreement_file = path.name
    db.flush()
    return dispute


def _agreement_text(db: Session, dispute: Dispute, now: datetime) -> documents.AgreementText:
    mediator = db.get(User, dispute.mediator_id) if dispute.mediator_id else None
    return documents.AgreementText(
        number=dispute.number,
        kind=dispute.kind,
        parties=tuple((party.role, party.name) for party in parties_of(db, dispute)),
        facts=dispute.description,
        terms=dispute.agreement_terms or "",
        performance_method=dispute.performance_method or "",
        performance_deadline=dispute.performance_deadline or now.date(),
        mediator=mediator.display_name if mediator else "",
        signed_on=now.astimezone(DISPLAY_ZONE).date(),
    )


def agreement_dir(settings: Settings) -> Path:
    return settings.data_dir / "disputes"


def agreement_file(db: Session, actor: Actor, *, settings: Settings, number: str) -> Path:
    dispute = visible_dispute(db, actor, number)
    path = agreement_dir(settings) / (dispute.agreement_file or "")
    if not dispute.agreement_file or not path.is_file():
        raise NotFound("dispute_agreement_missing", number=number)
    return path


def move(db: Session, actor: Actor, *, number: str, change: Change, now: datetime) -> Dispute:
    """Any other step (failure, referral, judicial confirmation, closing) through the one door."""
    if change.to in OWN_ENDPOINT:
        raise Invalid("dispute_transition_use_endpoint", target=change.to.value)
    dispute = visible_dispute(db, actor, number)
    flow.transition(db, dispute_id=dispute.id, change=change, actor=actor, now=now)
    triage.alert_if_high(db, dispute, now)
    return dispute


def add_follow_up(
    db: Session, actor: Actor, *, number: str, data: FollowUpIn, now: datetime
) -> FollowUpVisit:
    """A return visit after an agreement, by its mediator or the centre."""
    dispute = visible_dispute(db, actor, number)
    if actor.role not in CENTRE and not (
        actor.role is Role.MEDIATOR and dispute.mediator_id == actor.user_id
    ):
        raise Forbidden("dispute_not_your_mediation", number=number)
    if Status(dispute.status) not in FOLLOW_UP:
        raise Conflict("dispute_follow_up_needs_agreement", number=number)
    visit = FollowUpVisit(
        dispute_id=dispute.id,
        visited_on=data.visited_on,
        result=data.result.strip(),
        recorded_by=flow.actor_label(actor),
        created_at=now,
    )
    db.add(visit)
    db.flush()
    return visit


def visible_dispute(db: Session, actor: Actor, number: str) -> Dispute:
    """A dispute the actor may read (`disputes.access`); anything else is simply not found."""
    dispute = db.scalar(select(Dispute).where(Dispute.number == number, readable(actor)))
    if dispute is None:
        raise NotFound("dispute_not_found", number=number)
    return dispute


def list_disputes(
    db: Session, actor: Actor, *, status: Status | None = None, mine: bool = False, limit: int = 100
) -> list[Dispute]:
    """The area's disputes; `mine` narrows a mediator's list to the ones assigned to them."""
    query = select(Dispute).where(readable(actor))
    if status is not None:
        query = query.where(Dispute.status == status.value)
    if mine:
        query = query.where(Dispute.mediator_id == actor.user_id)
    return list(db.scalars(query.order_by(Dispute.id.desc()).limit(limit)))


def parties_of(db: Session, dispute: Dispute) -> list[DisputeParty]:
    return list(
        db.scalars(
            select(DisputeParty)
            .where(DisputeParty.dispute_id == dispute.id)
            .order_by(DisputeParty.position)
        )
    )


def masked_party(cipher: FieldCipher, party: DisputeParty) -> PartyOut:
    """A party as every response shows it: phone and ID number masked, never in full."""
    phone = document = None
    if party.phone_token is not None:
        phone = mask_phone(open_token(cipher, party.phone_token, field=PARTY_PHONE, uid=party.uid))
    if party.document_token is not None:
        document = mask_id_number(
            open_token(cipher, party.document_token, field=PARTY_DOCUMENT, uid=party.uid)
        )
    return PartyOut(
        kind=party.kind,
        role=party.role,
        name=party.name,
        phone=phone,
        id_number=document,
        credit_code=party.credit_code,
    )


def history(db: Session, dispute: Dispute) -> list[DisputeEvent]:
    return list(
        db.scalars(
            select(DisputeEvent)
            .where(DisputeEvent.dispute_id == dispute.id)
            .order_by(DisputeEvent.sequence)
        )
    )


def sessions_of(db: Session, dispute: Dispute) -> list[MediationSession]:
    return list(
        db.scalars(
            select(MediationSession)
            .where(MediationSession.dispute_id == dispute.id)
            .order_by(MediationSession.held_at, MediationSession.id)
        )
    )


def follow_ups_of(db: Session, dispute: Dispute) -> list[FollowUpVisit]:
    return list(
        db.scalars(
            select(FollowUpVisit)
            .where(FollowUpVisit.dispute_id == dispute.id)
            .order_by(FollowUpVisit.visited_on, FollowUpVisit.id)
        )
    )


def mediator_name(db: Session, dispute: Dispute) -> str | None:
    user = db.get(User, dispute.mediator_id) if dispute.mediator_id else None
    return user.username if user else None


def mediator_display_name(db: Session, dispute: Dispute) -> str | None:
    """What the pages call the mediator: their display name, their username when none."""
    user = db.get(User, dispute.mediator_id) if dispute.mediator_id else None
    return (user.display_name or user.username) if user else None


def save_mediator(
    db: Session, actor: Actor, *, username: str, kinds: list[str], active: bool
) -> MediatorProfile:
    """An administrator sets which types a mediator in their area takes, and whether any."""
    require_role(actor, MEDIATOR_KEEPERS)
    user = db.scalar(
        select(User).where(User.username == username, in_scope(actor, User.scope_code))
    )
    if user is None:
        raise NotFound("dispute_mediator_unknown", username=username)
    if user.role != Role.MEDIATOR.value:
        raise Invalid("dispute_user_not_mediator", username=username)
    profile = db.scalar(select(MediatorProfile).where(MediatorProfile.user_id == user.id))
    if profile is None:
        profile = MediatorProfile(user_id=user.id)
        db.add(profile)
    profile.kinds = sorted(set(kinds))
    profile.active = active
    db.flush()
    return profile


def list_mediators(db: Session, actor: Actor) -> list[dict[str, Any]]:
    """The mediators of the actor's area with their types and open load."""
    require_role(actor, CENTRE)
    return [
        {
            "username": user.username,
            "display_name": user.display_name,
            "scope_code": user.scope_code,
            "kinds": list(profile.kinds),
            "active": profile.active,
            "open_disputes": load,
        }
        for user, profile, load in _mediators_with_load(db)
        if may_see(actor, user.scope_code)
    ]
