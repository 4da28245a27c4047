"""Who may read the safe-place lists, and who publishes them."""

from civicgrid.auth.models import Role
from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS

# The readers of the monthly diagnosis read the list it is produced beside.
SAFE_PLACE_VIEWERS = ANALYSIS_VIEWERS
# Publishing is an announcement by a leadership: a district or street leader, or the
# administrator running a city's or district's centre; a dispatcher only reads.
SAFE_PLACE_PUBLISHERS = frozenset({Role.LEADER, Role.ADMIN})
