from typer.testing import CliRunner

from bot.cli import app


def test_help_lists_the_command_groups() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "heshi" in result.output


def test_catalog_has_every_chinese_key_in_english() -> None:
    from prompts import catalog

    cat = catalog()
    assert cat.keys("zh"), "the Chinese catalog is empty"
    missing = cat.keys("zh") - cat.keys("en")
    assert not missing, f"English catalog lacks {sorted(missing)}"
