"""Who may do what with emergency resources."""

from civicgrid.auth.models import Role

# The centre keeps the list of resources; the staff who run an area read it.
KEEPERS = frozenset({Role.ADMIN, Role.DISPATCHER})
READERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF})
