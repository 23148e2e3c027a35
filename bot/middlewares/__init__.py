"""Middlewares: a unit of work per update, throttling, language."""

from bot.middlewares.language import LanguageMiddleware
from bot.middlewares.serial import SerialPerUserMiddleware
from bot.middlewares.services import ServicesMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware

__all__ = ["LanguageMiddleware", "SerialPerUserMiddleware", "ServicesMiddleware", "ThrottlingMiddleware"]
