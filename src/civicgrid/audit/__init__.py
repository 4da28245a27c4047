"""Hash chains and the administrators' change log: low in the layers, importing no domain.

Accounts, categories, routing, field work and the registry write here in their
own transaction; the reading side (`civicgrid.admin`) sits above them.
"""
