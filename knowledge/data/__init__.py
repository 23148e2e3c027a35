"""Labelled data shipped with the product (intent examples for triage)."""
