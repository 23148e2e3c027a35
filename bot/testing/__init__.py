"""Test doubles for the bot that are real servers: the fake Telegram Bot API."""
