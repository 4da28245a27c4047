"""Who may read the monthly diagnosis: those who direct grid forces, inside their area."""

from civicgrid.auth.models import Role

# Leaders read it to decide, dispatchers to send grid forces, administrators of a city or
# district to run it; the jurisdiction filter says which grids each of them sees.
ANALYSIS_VIEWERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
