"""Who sets up external sources and imports their files."""

from civicgrid.auth.roles import ADMIN_ROLES

# Another system's export reaches every grid of the area: an administrator's to take in.
SOURCE_ADMINS = ADMIN_ROLES
