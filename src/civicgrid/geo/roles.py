"""Who may change the map."""

from civicgrid.auth.roles import ADMIN_ROLES

# Grid boundaries decide every case's jurisdiction, so only an administrator imports them.
GRID_IMPORTERS = ADMIN_ROLES
