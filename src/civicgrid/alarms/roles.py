"""Who may do what with devices and alarms."""

from civicgrid.auth.models import Role

# The centre registers and retires its area's devices; the staff who run an area read
# them and their alarms. Devices themselves post alarms with their own key, not a role.
DEVICE_KEEPERS = frozenset({Role.ADMIN, Role.DISPATCHER})
ALARM_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF})
# One-click SOS: a grid worker presses it on the phone (a key place's button is a device);
# the centre's dispatchers, leaders and administrators get the banner and acknowledge it,
# as does anyone the press alerted (the nearest workers, the police).
SOS_PRESSERS = frozenset({Role.GRID_WORKER})
SOS_WATCHERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
