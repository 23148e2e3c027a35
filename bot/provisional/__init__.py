"""A provisional backend for the bot until the real services land (see backend.py)."""
