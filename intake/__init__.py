"""Mediation cases, mediators, lifecycle, routing and participation (no chat-platform types here)."""
