"""Dispute tables."""
