"""CLI commands: ``heshi bot run|webhook``, ``heshi chat``, ``heshi demo``."""

from __future__ import annotations

import asyncio
import json
import sys

import typer


def register(app: typer.Typer) -> None:
    """Attach this feature's commands to the root app."""
    bot_app = typer.Typer(help="Run the Telegram bot.", no_args_is_help=True)

    @bot_app.command("run")
    def run(
        seed_sample: bool = typer.Option(
            False, "--seed-sample", help="add the sample communities and mediators"
        ),
    ) -> None:
        """Long polling (the embedded default): HESHI_TELEGRAM_TOKEN must be set."""
        from bot.runtime import configure_logging, run_polling
        from bot.settings import BotSettings

        configure_logging()
        asyncio.run(run_polling(BotSettings(), seed=seed_sample))

    @bot_app.command("webhook")
    def webhook() -> None:
        """Serve Telegram's webhook (behind a reverse proxy), checking the secret token."""
        from bot.runtime import configure_logging, run_webhook
        from bot.settings import BotSettings

        configure_logging()
        settings = BotSettings()
        if settings.webhook_secret is None:
            typer.echo("HESHI_WEBHOOK_SECRET is required for the webhook.", err=True)
            raise typer.Exit(2)
        run_webhook(settings)

    app.add_typer(bot_app, name="bot")

    @app.command()
    def chat(
        role: str = typer.Option("resident", "--as", help="resident, mediator or admin"),
        user: int | None = typer.Option(None, "--user", help="the chat id to speak as"),
        community: str | None = typer.Option(None, "--community", help="start as a resident of this code"),
    ) -> None:
        """Chat with the bot's real handlers in the terminal: no token, no network; reads piped stdin too."""
        from bot.runtime import load_backend, seed_sample
        from bot.settings import BotSettings
        from bot.terminal import chat_defaults, label_for, run_terminal

        if role not in ("resident", "mediator", "admin"):
            raise typer.BadParameter("--as must be resident, mediator or admin")
        user_id = user or int(chat_defaults(role)["user"])
        settings = BotSettings()
        if role == "admin":
            settings = settings.model_copy(update={"admin_chat_ids": [*settings.admin_chat_ids, user_id]})

        async def main() -> None:
            backend = await load_backend(settings)
            try:
                await seed_sample(backend)
                first = [f"/start {community}"] if community else (["/cases"] if role == "mediator" else [])
                await run_terminal(settings, backend, user_id, label_for(role, user_id), first)
            finally:
                await backend.close()

        asyncio.run(main())

    @app.command()
    def demo(as_json: bool = typer.Option(False, "--json", help="print one JSON summary at the end")) -> None:
        """Play a scripted conversation: a cited answer, a dispute turned case, the mediator accepting."""
        from bot.demo import DemoFailed, run_demo
        from bot.settings import BotSettings

        try:
            seconds = asyncio.run(run_demo(BotSettings()))
        except DemoFailed as error:
            typer.echo(f"demo failed: {error}", err=True)
            raise typer.Exit(1) from error
        if as_json:
            typer.echo(json.dumps({"ok": True, "seconds": round(seconds, 1)}, ensure_ascii=False))
        else:
            typer.echo(f"演示完成，用时 {seconds:.1f} 秒。")
        sys.stdout.flush()
