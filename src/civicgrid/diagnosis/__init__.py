"""微智理: the monthly per-grid risk diagnosis over the event archive."""
