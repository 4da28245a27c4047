"""Who may do what with the base registry (一标三实): every role set of the domain."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import STAFF_ROLES

READ_ROLES = frozenset(
    {Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
)
WRITE_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER})
# Leaders oversee reveals; they do not make them (no casework needs a leader to see a number).
REVEAL_ROLES = WRITE_ROLES
AUDIT_ROLES = frozenset({Role.ADMIN, Role.LEADER})
# Striking someone off is a community office's decision, not a grid worker's.
REMOVE_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF})
IMPORT_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.COMMUNITY_STAFF})
EXPORT_ROLES = IMPORT_ROLES | {Role.LEADER}
# The address search box names places, never people: whoever enters a location on a form
# (the desk, mediation, administration) may ask it; residents and departments enter none.
PLACE_SEARCH_ROLES = STAFF_ROLES | {Role.GRID_WORKER, Role.MEDIATOR}
