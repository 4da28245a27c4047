"""Who may register and remove webhooks."""

from civicgrid.auth.roles import ADMIN_ROLES

# A webhook sends case events out of the platform: an administrator's decision.
WEBHOOK_KEEPERS = ADMIN_ROLES
