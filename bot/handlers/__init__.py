"""Feature routers; composed in ``bot.app.build_dispatcher``."""
