"""Smoke test of the case commands through typer's CliRunner on a real SQLite file in HESHI_DATA_DIR."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_case_commands_end_to_end(tmp_path: Path) -> None:
    assert "is at head" in _ok("db", "upgrade")
    _ok("communities", "add", "YXX", "云溪县", "--level", "county")
    _ok("communities", "add", "TYZ", "桃源镇", "--level", "town", "--parent", "YXX")
    _ok("communities", "add", "QSC", "青山村", "--level", "village", "--parent", "TYZ")
    _ok("communities", "add", "QSC-01", "第一网格", "--level", "grid", "--parent", "QSC")
    listed = json.loads(_ok("communities", "list", "--json"))
    assert [c["code"] for c in listed["communities"]] == ["QSC", "QSC-01", "TYZ", "YXX"]
    _ok("staff", "add", "--name", "调委会主任", "--chat-id", "70", "--community", "QSC")
    _ok(
        "mediators",
        "add",
        "--name",
        "王大伯",
        "--chat-id",
        "11",
        "--community",
        "QSC",
        "--specialty",
        "邻里纠纷",
        "--capacity",
        "2",
    )
    assert "now on_leave" in _ok("mediators", "status", "11", "on_leave")
    assert "now active" in _ok("mediators", "status", "11", "active")
    mediators = json.loads(_ok("mediators", "list", "--json"))["mediators"]
    assert mediators[0]["name"] == "王大伯" and mediators[0]["specialties"] == ["邻里纠纷"]

    opened = json.loads(
        _ok(
            "cases",
            "open",
            "--community",
            "QSC-01",
            "--category",
            "邻里纠纷",
            "--complainant-chat-id",
            "100",
            "--description",
            "邻居的树挡光",
            "--respondent",
            "刘某",
            "--json",
        )
    )
    assert opened["case_no"].startswith("QSC-") and opened["offered_to"]["name"] == "王大伯"
    assert "offered to 王大伯" in _ok(
        "cases",
        "open",
        "--community",
        "QSC",
        "--category",
        "邻里纠纷",
        "--complainant-chat-id",
        "101",
        "--description",
        "鸡跑进菜地",
    )
    shown = json.loads(_ok("cases", "show", opened["case_no"], "--json"))
    assert {"case_no", "state", "category", "community", "mediator", "events"} <= shown.keys()
    assert shown["state"] == "accepted" and shown["community"] == "QSC" and shown["grid"] == "QSC-01"
    assert [e["action"] for e in shown["events"]][:3] == ["opened", "accepted", "offered"]
    assert opened["case_no"] in _ok("cases", "list", "--state", "accepted")
    assert json.loads(_ok("cases", "list", "--community", "QSC", "--json"))["cases"][0]["state"] == "accepted"
    stats = json.loads(_ok("cases", "stats", "--json"))
    assert (
        stats["total"] == 2
        and stats["by_category"] == {"邻里纠纷": 2}
        and stats["by_community"] == {"QSC": 2}
    )
    assert "on time" in _ok("cases", "stats")
    assert json.loads(_ok("cases", "tick", "--json")) == {
        "offers_timed_out": 0,
        "due_reminders": 0,
        "escalated": 0,
        "judicial_reminders": 0,
        "follow_ups": 0,
        "consultation_reminders": 0,
        "consultations_closed": 0,
    }
    out = tmp_path / "cases.csv"
    assert "wrote 2 cases" in _ok("cases", "export", "--csv", str(out))
    assert len(list(csv.DictReader(out.open(encoding="utf-8-sig")))) == 2


def test_bad_input_gets_a_clear_error_and_changes_nothing() -> None:
    _ok("communities", "add", "QSC", "青山村")
    result = CliRunner().invoke(
        app,
        [
            "cases",
            "open",
            "--community",
            "QSC",
            "--category",
            "吵架",
            "--complainant-chat-id",
            "1",
            "--description",
            "x",
        ],
    )
    assert result.exit_code == 2 and "category" in result.output
    result = CliRunner().invoke(app, ["cases", "show", "QSC-202611-0001"])
    assert result.exit_code == 2 and "not found" in result.output
    result = CliRunner().invoke(app, ["communities", "add", "QSC", "again"])
    assert result.exit_code == 2 and "already exists" in result.output
