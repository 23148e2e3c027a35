"""The ``heshi`` command line, composed in one place from one module per feature.

Each feature module exposes ``register(app)`` and imports heavy libraries (Chroma, the embedding
model, SQLAlchemy engines) inside its commands, so that ``heshi --help`` stays fast.
"""

from __future__ import annotations

import typer

from bot.cli import answers, cases, consult, kb, runtime

app = typer.Typer(
    name="heshi",
    help="和事 heshi: cited legal answers, mediation cases and community participation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)



@app.command()
def version() -> None:
    """Print the heshi version."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("heshi"))


kb.register(app)
answers.register(app)
cases.register(app)
consult.register(app)
runtime.register(app)


def main() -> None:
    app()
