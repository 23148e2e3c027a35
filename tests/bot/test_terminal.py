"""The terminal chat driven by piped standard input, across two processes on one data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _chat(args: list[str], lines: list[str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_piped_chat_files_a_case_and_the_mediator_sees_it_in_another_process() -> None:
    resident = _chat(
        ["--community", "QSC"],
        [
            "/press 1",
            "/press 1",  # grid QSC-01, then agree to the privacy notice
            "找和事佬调解",
            "/press 1",  # category 邻里纠纷
            "隔壁装修天天砸墙，从早到晚",
            "装修的那户",
            "/press 1",
            "/press 1",  # relation 邻居, skip place
            "白天装修，晚上停工",
            "/press 1",
            "/press 2",
            "/press 1",  # done, not anonymous, submit
            "/press 99",
            "/quit",
            "this line is never read",
        ],
    )
    assert "[1] 邻里纠纷" in resident
    assert "案件编号：QSC-" in resident
    assert "没有这个按钮" in resident
    case_no = resident.split("案件编号：")[1].split()[0]

    mediator = _chat(["--as", "mediator", "--user", "2001"], ["/press 1"])
    assert f"新的调解请求 {case_no}" in mediator  # waited in the mailbox for this chat
    assert "申请人" in mediator  # accepted: the card with the parties' contacts

    back = _chat([], ["/mycases"])
    assert "已接手" in back and case_no in back
