"""Field work tables."""
