"""Who may read which figures: the two views differ, and each is named for what it shows."""

from civicgrid.auth.models import Role

# The command centre's live picture of a region is for those who run the region.
DASHBOARD_VIEWERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
# Indicators over a period are also read by department handlers, about their own work.
INDICATOR_VIEWERS = DASHBOARD_VIEWERS | {Role.DEPARTMENT_HANDLER}
