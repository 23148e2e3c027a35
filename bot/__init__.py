"""The chat application: aiogram bot, command line and terminal chat."""
