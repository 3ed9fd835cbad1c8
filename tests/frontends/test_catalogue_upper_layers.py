"""Issue 14 (wave 2): the upper layers' words come from the catalogue: a sample from each converted file is said
in Chinese for zh-CN and, in English, word for word as before the catalogue; the plan commands' help and
console lines are all in the catalogue."""
from __future__ import annotations

import inspect

import click
import pytest

from kamplan.messages import catalogue, say, use_language
from kamplan.problems import problem


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("pid, fields, english", [
    # stages/actuals.py
    ("actuals.no-cost", {"count": 1234},
     "1,234 matched line(s) have no cost; their gross margin is the product's standard margin x revenue — "
     "export the cost column too for the real gross margin"),
    # stages/targets.py
    ("targets.two-files-one-rep", {"rep": "R01", "round": 1, "other": "r01_b.xlsx"},
     "this batch holds another workbook for R01, round 1 (r01_b.xlsx) — the newer file (by modification time) "
     "was kept as current; check which one is final"),
    # stages/review.py
    ("review.reviewer-missing", {"overrides": 2, "judgements": 3},
     "2 override(s) and 3 judgement(s) were entered without a name — type your name in 'Reviewed by' so the "
     "entries say who made them, then collect again"),
    # stages/resources.py
    ("resources.no-requests", {"year": 2027, "source": "version 3"},
     "no support requests in the plan of 2027 (version 3) — collect the target workbooks first (kamplan targets "
     "collect)"),
    # stages/plan.py
    ("consolidation.stale", {"name": "c.xlsx", "shown": 2, "current": 3},
     "c.xlsx shows version 2; the current plan is version 3: the instruction is applied to version 3 — check the "
     "new workbook; undo with kamplan targets undo if this was not meant"),
    # workbooks/consolidation/reader.py
    ("consolidation.growth-out-of-range", {"growth": "600.0%"},
     "a growth of 600.0% is outside -90% to 500% — type a percentage such as 5% (a plain 5 in a cell not "
     "formatted as % means 500%)"),
    # xl/tasks.py
    ("addin.nothing-collected", {"year": 2027},
     "no 2027 target workbook has been collected — collect the returned workbooks first (Collect)"),
])
def test_a_sample_of_each_files_problems_is_english_as_before_and_chinese(pid, fields, english):
    p = problem(pid, **fields)
    assert p.render("en") == english
    assert _chinese(p.render("zh-CN"))


def test_a_figure_phrase_inside_a_consolidation_problem_is_said_in_the_sentences_language():
    from kamplan.messages import Message
    p = problem("consolidation.figure-negative", what=Message("consolidation.what.product", id="P1"), value="-3")
    assert p.message_in("en") == "the figure for product P1 is negative (-3)"
    assert p.message_in("zh-CN") == "产品 P1的数字为负数(-3)"


def test_a_worksheet_functions_complaint_follows_the_language():
    from kamplan.xl import udfs
    try:
        use_language("en")
        assert udfs._error("KAM_X", udfs.UdfInputError(say("udf.e17"))) == \
            "#KAM! KAM_X: every line is held: leave some holds cells blank"
        use_language("zh-CN")
        assert udfs._error("KAM_X", udfs.UdfInputError(say("udf.e17"))) == \
            "#KAM! KAM_X: 所有行都被锁定:请让部分 holds 单元格留空"
    finally:
        use_language("en")


def test_every_help_text_and_console_line_of_the_plan_commands_is_in_the_catalogue():
    """kamplan.cli.plan is fully translated: its help texts (the English text is the key) and every t() key."""
    import ast
    import kamplan.cli.plan as plan
    zh = {k for k in catalogue("zh-CN")._catalog if isinstance(k, str)}  # noqa: SLF001
    from kamplan.cli.main import cli

    def commands(c):
        yield c
        if isinstance(c, click.Group):
            for sub in c.commands.values():
                yield from commands(sub)
    texts = []
    for cmd in commands(cli):
        if cmd.callback is not None and cmd.callback.__module__ == "kamplan.cli.plan" or cmd.name == "quotas":
            texts.append(getattr(cmd, "_help_en", (cmd.help, None))[0])
            texts += [getattr(p, "_help_en", (p.help,))[0] for p in cmd.params if isinstance(p, click.Option)]
    missing = [inspect.cleandoc(x)[:60] for x in texts if x and inspect.cleandoc(x) not in zh]
    assert not missing, missing
    tree = ast.parse(inspect.getsource(plan))
    keys = [n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == "t" and n.args and isinstance(n.args[0], ast.Constant)]
    keys += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and n.value.startswith("cli.targets.")]
    assert len(keys) > 20 and all(k in zh for k in keys)
    assert say("cli.targets.reached", "zh-CN", target=1234.5, achieved=1000) == "  目标 1,234.50  达到 1,000.00"
