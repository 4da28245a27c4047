"""Grid-worker field work: the twelve task types, plans, daily tasks, check-ins, visits, scoring."""
