"""Who may do what with disputes: every role set of the domain, read by its verbs and pages."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES

# The centre assigns mediators, refers and closes; it reads the mediators' load.
CENTRE = frozenset({Role.DISPATCHER, Role.ADMIN})
# A mediator moves only the disputes assigned to them (checked by the workflow).
MEDIATORS = frozenset({Role.MEDIATOR})
# Anyone who meets a dispute in the area may register it.
REGISTRARS = frozenset(
    {Role.ADMIN, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.MEDIATOR}
)
# Mediators' profiles (which kinds they take) are set by an administrator.
MEDIATOR_KEEPERS = ADMIN_ROLES
# The staff who act on triage scores may see how they are made; an administrator sets them.
TRIAGE_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.MEDIATOR})
TRIAGE_KEEPERS = ADMIN_ROLES
# Who reads disputes (`disputes.access`): the staff and mediators of the area. A dispute's
# parties, sessions and agreement are confidential: no department handler, resident or key.
READERS = frozenset(
    {
        Role.ADMIN,
        Role.LEADER,
        Role.DISPATCHER,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.MEDIATOR,
    }
)
