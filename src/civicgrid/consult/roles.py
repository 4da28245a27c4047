"""Who may ask the consultation engine what, and who keeps its knowledge base."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES

# Whoever works a case looks up how the area's past cases like it were handled.
CASE_CONSULTERS = frozenset(
    {
        Role.ADMIN,
        Role.LEADER,
        Role.DISPATCHER,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.DEPARTMENT_HANDLER,
    }
)
# 类案推送: those who mediate or run the area's disputes read their past agreements.
DISPUTE_CONSULTERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.MEDIATOR})
# Policies and FAQs are uploaded and removed by an administrator of the area.
KNOWLEDGE_KEEPERS = ADMIN_ROLES
