"""Role sets the whole platform shares; each domain's own live in its `roles.py`."""

from civicgrid.auth.models import Role

# Platform settings, accounts and departments are an administrator's.
ADMIN_ROLES = frozenset({Role.ADMIN})
# The people who run an area: they read its accounts, duty rosters and work plans.
STAFF_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF})
