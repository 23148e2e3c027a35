import logging

import pytest

from bot.runtime import configure_logging


def test_bot_logs_never_carry_phone_or_id_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging()
        logging.getLogger("bot.test").warning(
            "resident %s gave phone %s and id %s", 1001, "13812345678", "330102199001011234"
        )
        for handler in root.handlers:
            handler.flush()
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert "resident 1001" in err
    assert "13812345678" not in err and "138****5678" in err
    assert "330102199001011234" not in err and err.count("*") >= 14
