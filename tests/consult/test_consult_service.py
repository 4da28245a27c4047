"""The consultation engine: what it finds, within whose jurisdiction, and how it keeps up."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.consult import engine, service
from civicgrid.consult.indexing import refresh
from civicgrid.consult.models import ConsultDocument
from civicgrid.errors import Forbidden, NotFound
from tests.consult.conftest import NOISE_REPLY, Consulted, person


def numbers(matches: list[service.Match]) -> list[str]:
    return [match.document.source_ref for match in matches]


def test_a_handler_sees_the_closed_cases_like_this_one_with_the_reply_given(
    db: Session, consulted: Consulted
):
    found = service.similar_cases(
        db, person(db, "owner"), consulted.open_noise, root=consulted.root, locale="zh-CN"
    )
    assert numbers(found.matches)[:2] == [consulted.noise, consulted.noise_again] or numbers(
        found.matches
    )[:2] == [consulted.noise_again, consulted.noise]
    best = next(match for match in found.matches if match.document.source_ref == consulted.noise)
    assert best.document.answer == NOISE_REPLY
    assert best.document.answered_by == "城管530502-urban"
    assert best.document.outcome == "closed"
    codes = {reason.code for reason in best.reasons}
    assert {"shared_terms", "same_grid", "closed_days_ago"} <= codes
    shared = next(reason for reason in best.reasons if reason.code == "shared_terms")
    assert "噪音" in str(shared.params["terms"])


def test_a_case_in_another_district_is_never_offered(db: Session, consulted: Consulted):
    found = service.similar_cases(
        db, person(db, "owner"), consulted.open_noise, root=consulted.root, locale="zh-CN"
    )
    assert consulted.foreign_noise not in numbers(found.matches)
    assert consulted.open_noise not in numbers(found.matches)


def test_the_other_district_sees_its_own_case_and_not_ours(db: Session, consulted: Consulted):
    found = service.similar_cases(
        db,
        person(db, "c.far_dispatcher"),
        consulted.foreign_noise,
        root=consulted.root,
        locale="zh-CN",
    )
    assert numbers(found.matches) == []
    with pytest.raises(NotFound):
        service.similar_cases(
            db,
            person(db, "c.far_dispatcher"),
            consulted.open_noise,
            root=consulted.root,
            locale="zh-CN",
        )


def test_the_reply_draft_is_built_from_the_best_answers_without_repeats(
    db: Session, consulted: Consulted
):
    found = service.similar_cases(
        db, person(db, "owner"), consulted.open_noise, root=consulted.root, locale="zh-CN"
    )
    lines = found.draft.splitlines()
    assert lines[0].startswith("您好")
    assert NOISE_REPLY in lines[1]
    assert lines[1].count(NOISE_REPLY) == 1
    assert lines[-1].startswith("感谢")


def test_a_resident_or_a_mediator_is_refused_the_handlers_panel(db: Session, consulted: Consulted):
    for username in ("c.resident", "c.mediator"):
        with pytest.raises(Forbidden):
            service.similar_cases(
                db, person(db, username), consulted.open_noise, root=consulted.root, locale="zh-CN"
            )


def test_answered_questions_carry_masked_public_text_only(db: Session, consulted: Consulted):
    found = service.answered_questions(db, "噪音扰民", root=consulted.root)
    assert consulted.noise in numbers(found)
    assert consulted.foreign_noise in numbers(found)
    assert consulted.open_noise not in numbers(found)
    assert all(match.document.kind == "case" for match in found)


def test_a_reopened_case_is_no_answer_until_it_closes_again(db: Session, consulted: Consulted):
    case_id = db.scalar(
        select(ConsultDocument.id).where(ConsultDocument.source_ref == consulted.noise)
    )
    assert case_id is not None
    from civicgrid.cases.models import Case  # noqa: PLC0415

    case = db.scalar(select(Case).where(Case.number == consulted.noise))
    assert case is not None
    transition(
        db,
        case_id=case.id,
        change=Change(to=Status.REOPENED, note="又吵了"),
        actor=person(db, "owner"),
    )
    db.commit()
    assert consulted.noise not in numbers(
        service.answered_questions(db, "噪音扰民", root=consulted.root)
    )
    refresh(db, consulted.root)
    db.commit()
    documents = db.scalars(select(ConsultDocument.source_ref).where(ConsultDocument.kind == "case"))
    assert consulted.noise not in set(documents)


def test_a_mediator_sees_the_areas_past_dispute_and_its_agreement(
    db: Session, consulted: Consulted
):
    found = service.similar_disputes(
        db, person(db, "c.mediator"), consulted.dispute, root=consulted.root
    )
    assert numbers(found) == [consulted.agreed]
    agreement = found[0].document.answer
    assert "十日内修复漏水管道" in agreement
    assert "张三" not in agreement
    assert "李四" not in agreement
    assert "张**" in agreement


def test_a_handler_may_not_read_past_disputes(db: Session, consulted: Consulted):
    with pytest.raises(Forbidden):
        service.similar_disputes(
            db, person(db, "c.handler"), consulted.dispute, root=consulted.root
        )


def test_a_rebuild_changes_nothing_when_the_documents_did_not_change(
    db: Session, consulted: Consulted
):
    before = engine.in_force(consulted.root)
    assert not refresh(db, consulted.root).built
    assert engine.in_force(consulted.root) == before


def test_a_new_generation_is_seen_by_a_reader_that_holds_the_old_one(
    db: Session, consulted: Consulted
):
    reader = engine.Reader()
    old = reader.current(consulted.root)
    assert old is not None
    refresh(db, consulted.root, force=True)
    new = reader.current(consulted.root)
    assert new is not None
    assert new.name != old.name
    assert len(new) == len(old)


def test_a_build_killed_half_way_leaves_the_index_in_force_and_is_cleaned_up(
    db: Session, consulted: Consulted
):
    before = engine.in_force(consulted.root)
    (consulted.root / ".building-99").mkdir()
    (consulted.root / ".building-99" / "ids.npy").write_bytes(b"half")
    assert engine.in_force(consulted.root) == before
    refresh(db, consulted.root, force=True)
    assert not (consulted.root / ".building-99").exists()


def test_changes_wait_while_the_index_rests_after_a_build_unless_forced(
    db: Session, consulted: Consulted, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(engine, "REST_FACTOR", 1e9)
    before = engine.in_force(consulted.root)
    db.execute(delete(ConsultDocument).where(ConsultDocument.source_ref == consulted.road))
    assert not refresh(db, consulted.root).built
    assert engine.in_force(consulted.root) == before
    assert refresh(db, consulted.root, force=True).built
