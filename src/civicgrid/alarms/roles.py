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
