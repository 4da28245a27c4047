"""Who may read the administrators' change log."""

from civicgrid.auth.models import Role

# Those who answer for an area: its leaders and its administrators, each within their scope.
AUDIT_READERS = frozenset({Role.ADMIN, Role.LEADER})
