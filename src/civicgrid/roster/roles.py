"""Who reads and who keeps the duty roster."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES, STAFF_ROLES

# Administrators keep their area's roster; the area's staff and leaders read it.
ROSTER_KEEPERS = ADMIN_ROLES
ROSTER_READERS = STAFF_ROLES | {Role.LEADER}
