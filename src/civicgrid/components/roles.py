"""Who may do what with city components."""

from civicgrid.auth.models import Role

# The centre keeps the component register (it comes from the city's survey, as a file);
# everyone who handles or reports cases in an area looks components up to name them.
COMPONENT_KEEPERS = frozenset({Role.ADMIN, Role.DISPATCHER})
COMPONENT_READERS = frozenset(
    {
        Role.ADMIN,
        Role.LEADER,
        Role.DISPATCHER,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.DEPARTMENT_HANDLER,
    }
)
