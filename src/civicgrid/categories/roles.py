"""Who may change the categories."""

from civicgrid.auth.roles import ADMIN_ROLES

# Categories carry the SLA hours and the routing codes, so only an administrator edits them.
CATEGORY_KEEPERS = ADMIN_ROLES
