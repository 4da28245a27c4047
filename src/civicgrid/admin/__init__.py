"""Administration oversight: reading the change log the domains write through `civicgrid.audit`.

Kept apart from `civicgrid.audit`, which sits below accounts, while reading
needs accounts' jurisdiction filter and sign-in.
"""
