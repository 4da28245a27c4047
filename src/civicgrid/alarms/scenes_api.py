"""HTTP routes of scene rules (device keepers, in their area) and dead letters (administrators)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from civicgrid.alarms import deadletters, scenes
from civicgrid.alarms.scene_schemas import (
    DeadLetterFilterIn,
    DeadLetterOut,
    SceneRuleIn,
    SceneRuleOut,
)
from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.db import MAX_SQL_INTEGER

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])
RuleId = Annotated[int, Path(ge=1, le=MAX_SQL_INTEGER)]


@router.get("/scene-rules", response_model=list[SceneRuleOut])
def get_scene_rules(db: DbSession, actor: CurrentActor) -> list[SceneRuleOut]:
    return [SceneRuleOut.of(rule) for rule in scenes.list_rules(db, actor)]


@router.post("/scene-rules", response_model=SceneRuleOut, status_code=status.HTTP_201_CREATED)
def post_scene_rule(body: SceneRuleIn, db: DbSession, actor: CurrentActor) -> SceneRuleOut:
    rule = scenes.create_rule(db, actor, body.data())
    db.commit()
    return SceneRuleOut.of(rule)


@router.put("/scene-rules/{rule_id}", response_model=SceneRuleOut)
def put_scene_rule(
    rule_id: RuleId, body: SceneRuleIn, db: DbSession, actor: CurrentActor
) -> SceneRuleOut:
    rule = scenes.replace_rule(db, actor, rule_id, body.data())
    db.commit()
    return SceneRuleOut.of(rule)


@router.delete("/scene-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_scene_rule(rule_id: RuleId, db: DbSession, actor: CurrentActor) -> Response:
    scenes.delete_rule(db, actor, rule_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dead-letters", response_model=list[DeadLetterOut])
def get_dead_letters(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    asked: Annotated[DeadLetterFilterIn, Query()],
) -> list[DeadLetterOut]:
    """Refused messages newest first; X-Total-Count gives the full count."""
    query = deadletters.DeadLetterQuery(reason=asked.reason, limit=asked.limit, offset=asked.offset)
    letters, total = deadletters.list_dead_letters(db, actor, query)
    response.headers["X-Total-Count"] = str(total)
    return [DeadLetterOut.of(letter) for letter in letters]
