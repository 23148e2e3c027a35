"""Scripted conversations shared by the end-to-end tests and the load benchmark."""

from __future__ import annotations

Step = tuple[str, str, str]  # ("say" | "press", text or button label, text the reply must contain)


def case_form_steps(user: int) -> list[Step]:
    """A resident files a neighbour dispute through the whole form, up to the summary to confirm."""
    return [
        ("say", "找和事佬调解", "第 1 步"),
        ("press", "邻里纠纷", "第 2 步"),
        ("say", f"邻居家的狗第{user}次跑进我家院子咬鸡", "第 3 步"),
        ("say", "东边邻居", "第 4 步"),
        ("press", "邻居", "第 5 步"),
        ("press", "跳过", "第 6 步"),
        ("say", "把狗拴好", "第 7 步"),
        ("press", "完成", "第 8 步"),
        ("press", "可以告诉对方", "请核对"),
    ]
