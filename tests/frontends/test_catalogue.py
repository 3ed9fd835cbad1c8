"""Issue 14: one catalogue of problems and messages in en and zh-CN.

Every registered problem is used in the code, translated in both languages with the same fields, and
listed in docs/problems.md; every catalogue key the code names exists in both catalogues; numbers and
plurals follow the language; a problem is said in the language asked for, a text problem as it was given.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po

import kamplan
from kamplan.messages import Message, field_names, fill, po_files, say, say_plural
from kamplan.messages.registry import PROBLEMS
from kamplan.problems import error, problem

PACKAGE = Path(kamplan.__file__).parent
REPO = Path(__file__).resolve().parents[2]  # the checkout, also when kamplan is installed from a copy
LOCALE = PACKAGE / "messages" / "locale"
CALLS = {"t", "nt", "Message", "problem", "phrase", "say", "say_plural"}
CATALOGUE_MODULES = {"kamplan.messages", "kamplan.problems", "kamplan.cli.common"}
# The command modules whose help texts must all be translated.  plan, actuals and evaluate are translated in
# the catalogue too, but other hands change them in this wave: they join this list in the next one.
CONVERTED_COMMANDS = ("kamplan.cli.main", "kamplan.cli.accounts", "kamplan.cli.resources", "kamplan.cli.addin",
                      "kamplan.cli.store", "kamplan.cli.account_plan", "kamplan.cli.plan", "kamplan.cli.actuals",
                      "kamplan.cli.evaluate")


def _po(folder: str) -> list:
    """Every entry of the language's catalogue files (kamplan.po and the per-area kamplan-<area>.po)."""
    entries = []
    for path in po_files(folder):
        with open(path, "rb") as f:
            entries += [(path.name, m) for m in read_po(f, locale=folder) if m.id]
    return entries


def _entries(folder: str) -> dict:
    return {m.id if isinstance(m.id, str) else m.id[0]: m for _, m in _po(folder)}


@pytest.mark.parametrize("folder", ["en", "zh_CN"])
def test_a_key_is_defined_in_one_catalogue_file_only(folder):
    where: dict = {}
    for name, m in _po(folder):
        where.setdefault(m.id if isinstance(m.id, str) else m.id[0], []).append(name)
    twice = {k: v for k, v in where.items() if len(v) > 1}
    assert not twice, twice
    assert {p.name for p in po_files("en")} == {p.name for p in po_files("zh_CN")}


def _texts(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _code_constants() -> set[str]:
    """Every string constant in kamplan's code (outside the catalogue's own package)."""
    found = set()
    for f in PACKAGE.rglob("*.py"):
        if "messages" in f.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _named_keys() -> list[tuple[str, str, str]]:
    """(file:line, function, key) of every call like t("cli.x") / problem("file.empty") with a constant key,
    where the function comes from the catalogue (kamplan.messages, kamplan.problems, kamplan.cli.common)."""
    out = []
    for f in PACKAGE.rglob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        names = {a.asname or a.name: a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module in CATALOGUE_MODULES for a in node.names if a.name in CALLS}
        if "_catalogue_problem" in names or f.name == "errors.py":
            names["_problem"] = "problem"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and isinstance(node.func, ast.Name) \
                    and node.func.id in names:
                out.append((f"{f.relative_to(PACKAGE)}:{node.lineno}", names[node.func.id], node.args[0].value))
    return out


def test_both_catalogues_hold_the_same_keys_every_text_filled_with_the_same_fields():
    en, zh = _entries("en"), _entries("zh_CN")
    assert set(en) == set(zh), f"only in en: {sorted(set(en) - set(zh))}; only in zh_CN: {sorted(set(zh) - set(en))}"
    for key in en:
        en_texts, zh_texts = _texts(en[key]), _texts(zh[key])
        assert all(s.strip() for s in en_texts + zh_texts), f"{key}: an empty msgstr"
        fields = {frozenset(field_names(s)) for s in en_texts + zh_texts}
        assert len(fields) == 1, f"{key}: the languages name different fields {fields}"
    assert len(en) > 300


def test_every_registered_problem_is_used_in_the_code_and_has_its_words():
    constants = _code_constants()
    en, zh = _entries("en"), _entries("zh_CN")
    unused = sorted(pid for pid in PROBLEMS if pid not in constants)
    assert not unused, f"registered but never used: {unused}"
    for kind in PROBLEMS.values():
        for key in filter(None, (kind.message_key, kind.fix_key)):
            assert key in en and key in zh, f"{kind.id}: {key} is missing from a catalogue"


def test_every_key_the_code_names_is_in_the_catalogue():
    en = _entries("en")
    missing = []
    for where, name, key in _named_keys():
        if name == "problem":
            ok = key in PROBLEMS
        elif name == "phrase":
            ok = key in PROBLEMS and PROBLEMS[key].kind == "phrase"
        else:
            ok = key in en
        if not ok:
            missing.append(f"{where} {name}({key!r})")
    assert not missing, "keys missing from the catalogue:\n  " + "\n  ".join(missing)


def test_docs_problems_md_lists_every_problem_and_is_current():
    spec = importlib.util.spec_from_file_location("make_problems", REPO / "docs" / "make_problems.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (REPO / "docs" / "problems.md").read_text(encoding="utf-8")
    assert text == module.render(), "docs/problems.md is stale: run python docs/make_problems.py"
    for pid, kind in PROBLEMS.items():
        assert f"| `{pid}` | `{kind.code}` |" in text


def test_a_problem_is_said_in_the_language_asked_for_and_stays_language_neutral_in_json():
    p = problem("layout.row-inserted", count=2, row=7, file="huangtao_2027_r1.xlsx", sheet="Targets", cell="A7")
    assert str(p) == ("huangtao_2027_r1.xlsx › Targets › A7: 2 row(s) were inserted at row 7 — delete the "
                      "inserted row(s); every line already has its row")
    assert p.render("zh-CN") == "huangtao_2027_r1.xlsx › Targets › A7: 在第 7 行插入了 2 行 — 请删除插入的行;每一条都已有自己的行"
    d = p.to_dict()
    assert (d["code"], d["id"], d["fields"]) == ("row-inserted", "layout.row-inserted", {"count": 2, "row": 7})
    old = error("bad-thing", "a text problem", "do this", file="a.xlsx")
    assert old.render("zh-CN") == str(old) == "a.xlsx: a text problem — do this" and old.id is None


def test_a_cell_complaint_inside_a_readers_sentence_is_said_in_the_same_language():
    from kamplan.limits import limit_problem
    from kamplan.workbooks.kit import cells
    _, why = cells.parse_number("abc")
    assert why == '"abc" is not a number' and why.render("zh-CN") == '"abc" 不是数字'
    p = limit_problem("price", 1e10, code="bad-price", header="价格 Q1", file="a.xlsx", sheet="目标", cell="K6")
    assert p.code == "bad-price" and p.is_error
    assert p.message_in("zh-CN") == "价格 Q1:10,000,000,000 超出了每计划单位的价格允许的范围(0 至 100,000,000)"
    assert "between 0 to 100,000,000" in p.fix_in("en")


def test_numbers_and_plurals_follow_the_language():
    assert fill("{x:n2} / {y:n0} / {z:pct}", "en", {"x": 1234.5, "y": 9876543.21, "z": 0.125}) == \
        "1,234.50 / 9,876,543 / 12.5%"
    assert fill("{x:money}", "zh-CN", {"x": 1234.5, "currency": "CNY"}) == "¥1,234.50"
    assert say_plural("cli.collect.warnings", 1, "en") == "1 warning"
    assert say_plural("cli.collect.warnings", 3, "en") == "3 warnings"
    assert say_plural("cli.collect.warnings", 3, "zh-CN") == "3 条警告"
    assert say("cli.outcome.rejected", "zh-CN") == "已拒收"


def test_a_message_survives_a_worker_process():
    import pickle
    m = Message("phrase.cell.not-whole", value="2.5")
    back = pickle.loads(pickle.dumps(m))
    assert (back, back.key, back.render("zh-CN")) == ("2.5 is not a whole number", m.key, "2.5 不是整数")


def _commands(command, module_of=None):
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def test_every_help_text_of_the_converted_commands_is_translated():
    from kamplan.cli.main import cli
    zh = _entries("zh_CN")
    untranslated = []
    for cmd in _commands(cli):
        if cmd.callback is not None and cmd.callback.__module__ not in CONVERTED_COMMANDS:
            continue
        english = getattr(cmd, "_help_en", (cmd.help, None))[0]
        texts = [english] + [getattr(p, "_help_en", (p.help,))[0] for p in cmd.params if isinstance(p, click.Option)]
        untranslated += [f"{cmd.name}: {inspect.cleandoc(x)[:60]}" for x in texts
                         if x and inspect.cleandoc(x) not in zh]
    assert not untranslated, "\n".join(untranslated)


@pytest.mark.parametrize("folder", ["en", "zh_CN"])
def test_no_compiled_catalogue_is_kept_in_git(folder):
    assert not list((LOCALE / folder).rglob("*.mo"))
