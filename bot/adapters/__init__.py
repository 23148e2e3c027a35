"""Adapters binding the bot's ports to the real services (intake/, knowledge/)."""
