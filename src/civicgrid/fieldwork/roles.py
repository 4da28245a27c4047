"""Who may do what in field work: one table, read by every verb of the domain."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import STAFF_ROLES

# Records are a grid worker's own work; nobody writes them on a worker's behalf.
WORKER_ROLES = frozenset({Role.GRID_WORKER})
# Plans are set by those who manage the grid workers of an area.
PLAN_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF})
# Weights decide everyone's score, so only an administrator changes them.
WEIGHT_ROLES = frozenset({Role.ADMIN})
# Plans, tasks, records, flags and scores are read by staff and by the workers themselves,
# each inside their own area; residents, departments and mediators have no use for them.
READ_ROLES = frozenset({*STAFF_ROLES, Role.GRID_WORKER})
# Who is on duty is watched by the staff of an area; the centre summons a worker to a case.
WATCHERS = STAFF_ROLES
SUMMONERS = frozenset({Role.ADMIN, Role.DISPATCHER})
