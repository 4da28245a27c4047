"""Who may do what with cases: every role set of the domain, read by its verbs and pages.

The statuses each role may move a case into are a column of `cases.states`;
the sets named here are the ones that table and the other verbs share.
"""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES, STAFF_ROLES

# The centre (综治中心) accepts, dispatches, merges, escalates and closes.
CENTRE = frozenset({Role.DISPATCHER, Role.ADMIN})
# Whoever holds a case to handle it: a department, or grid and community staff.
HANDLERS = frozenset({Role.DEPARTMENT_HANDLER, Role.GRID_WORKER, Role.COMMUNITY_STAFF})
# Those out in the area who verify a fix on the spot.
FIELD = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISPATCHER})
# Handlers who hold no department: they handle only where routing let them.
FIELD_HANDLERS = HANDLERS - {Role.DEPARTMENT_HANDLER}
# A grid worker fixes a minor case on the spot (自行处置).
GRID_WORKERS = frozenset({Role.GRID_WORKER})
# Only the resident who reported rates the result.
RESIDENTS = frozenset({Role.RESIDENT})
# Evidence photos come from whoever may resolve or close the case.
EVIDENCE_ROLES = HANDLERS | CENTRE
# The centre and the field staff of an area say which city component a case is about.
COMPONENT_LINKERS = CENTRE | FIELD_HANDLERS
# A batch of reports comes from an integration key or from the centre.
BATCH_ROLES = CENTRE
# The routing table is read by staff to understand a routing and changed by an administrator.
RULE_READERS = STAFF_ROLES
RULE_ROLES = ADMIN_ROLES
# A hotline operator (12345) or the reception window files calls and walk-ins at the desk.
DESK_INTAKE = CENTRE
# Possible duplicates are looked up by staff and by the grid workers who report.
DUPLICATE_READERS = STAFF_ROLES | {Role.GRID_WORKER}
# Return calls (回访) to the reporter are made by the centre and the staff of the area.
CALLBACK_ROLES = frozenset({Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.ADMIN})
FEEDBACK_READERS = CALLBACK_ROLES | {Role.LEADER}
# Urges and 督办 are read by the centres and their leaders.
SUPERVISION_READERS = frozenset({Role.DISPATCHER, Role.LEADER, Role.ADMIN})
# On one case's view they are read by the staff of its area and by whoever holds it (the one
# urged); a resident's view of their own report shows none.
CASE_SUPERVISION_READERS = STAFF_ROLES | HANDLERS
# The desk shows these roles the centre's queues, department handlers their department's,
# everyone else the field's.
CENTRE_DESK = CENTRE | {Role.LEADER}
DEPARTMENT_DESK = frozenset({Role.DEPARTMENT_HANDLER})
# Who reads which cases (`cases.access`): the staff of an area read all of it; a resident
# reads their own reports; a department handler what its department holds or held.
AREA_READERS = frozenset(
    {
        Role.ADMIN,
        Role.LEADER,
        Role.DISPATCHER,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.MEDIATOR,
    }
)
OWN_REPORT_READERS = RESIDENTS
HOLDING_READERS = DEPARTMENT_DESK
