"""Who may read hotspots and the safe-place lists, and who publishes the lists."""

from civicgrid.auth.models import Role
from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS

# The readers of the monthly diagnosis (leaders, dispatchers of a centre, administrators):
# maps and lists are the same kind of judgement, inside the same jurisdiction filter.
HOTSPOT_VIEWERS = ANALYSIS_VIEWERS
SAFE_PLACE_VIEWERS = ANALYSIS_VIEWERS
# A safe-place list is an honour a leadership announces: a district or street leader, or a
# city or district administrator running the centre, publishes it; a dispatcher only reads.
SAFE_PLACE_PUBLISHERS = frozenset({Role.LEADER, Role.ADMIN})
