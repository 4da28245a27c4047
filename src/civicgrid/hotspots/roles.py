"""Who may read hotspots."""

from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS

# The readers of the monthly diagnosis (leaders, dispatchers of a centre, administrators):
# a map is the same kind of judgement, inside the same jurisdiction filter.
HOTSPOT_VIEWERS = ANALYSIS_VIEWERS
