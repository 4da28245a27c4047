"""Dispute mediation (矛盾纠纷多元化解): cases, mediators, sessions, agreements, triage."""
