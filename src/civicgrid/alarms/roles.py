"""Who may do what with devices and alarms."""

from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES

# The centre registers and retires its area's devices; the staff who run an area read
# them and their alarms. Devices themselves post alarms with their own key, not a role.
DEVICE_KEEPERS = frozenset({Role.ADMIN, Role.DISPATCHER})
ALARM_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF})
# Refused messages are a device keeper's diagnosis, read by administrators of the area.
DEAD_LETTER_READERS = frozenset({Role.ADMIN})
# Administrators read the alarm rules; only a city administrator changes them (the rules
# act on every district's devices: `auth.service.require_city_admin`).
RULE_READERS = ADMIN_ROLES
# The centre on duty acknowledges alarms and dismisses false ones, in its area.
ALARM_HANDLERS = frozenset({Role.ADMIN, Role.DISPATCHER})
# Who reads the devices flagged for crying wolf: the alarm readers of an area, and a
# department handler for the devices its department owns (the ones it must fix).
FLAGGED_READERS = ALARM_READERS | {Role.DEPARTMENT_HANDLER}
# Who may see the cameras near a case: the area's alarm readers (inside `cases.access`).
CAMERA_VIEWERS = ALARM_READERS
# One-click SOS: a grid worker presses it on the phone (a key place's button is a device);
# the centre's dispatchers, leaders and administrators get the banner and acknowledge it,
# as does anyone the press alerted (the nearest workers, the police).
SOS_PRESSERS = frozenset({Role.GRID_WORKER})
SOS_WATCHERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
