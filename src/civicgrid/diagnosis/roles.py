"""Who may read the monthly diagnosis: those who direct grid forces, inside their area."""

from civicgrid.auth.models import Role
from civicgrid.fieldwork.roles import PLAN_ROLES

# Leaders read it to decide, dispatchers to send grid forces, administrators of a city or
# district to run it; the jurisdiction filter says which grids each of them sees.
ANALYSIS_VIEWERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
# A recommendation changes field-work plans, so whoever sets the plans decides it (the
# community head, or an administrator); the report's readers see the decisions too.
RECOMMENDATION_DECIDERS = PLAN_ROLES
RECOMMENDATION_READERS = ANALYSIS_VIEWERS | PLAN_ROLES
