"""Start-up: `kamplan --help`, `--version` and every subcommand's --help load neither pandas nor SQLAlchemy
(nor pydantic, the store or Babel once the catalogue is compiled), in both languages; --profile prints
where a command spent its time on stderr and leaves --json output valid.  Nothing here is timed: the
speed is measured by benchmarks/bench_startup.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "sqlalchemy", "pydantic", "yaml", "babel", "kamplan.store", "kamplan.config")

# Runs kamplan with the given arguments and every subcommand's --help in one process, then names the
# heavy modules that were imported.
EVERY_HELP = """
import contextlib, io, json, sys
import click
from kamplan.cli.main import cli, main

def paths(command, path=()):
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from paths(sub, path + (name,))

texts = {}
for path in paths(cli):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main_args = list(sys.argv[1:]) + list(path) + ["--help"]
            cli.main(main_args, prog_name="kamplan", standalone_mode=False)
        except SystemExit:
            pass
    texts[" ".join(path)] = out.getvalue()
print(json.dumps({"loaded": sorted(m for m in HEAVY if m in sys.modules), "help": texts}))
"""


def run(code: str, *args, cache, env=None):
    environment = {**os.environ, "KAMPLAN_CACHE_DIR": str(cache), **(env or {})}
    environment.pop("KAMPLAN_LANG", None)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, encoding="utf-8",
                          env=environment, timeout=300, check=False)


def loaded_after(argv: list[str], cache, env=None) -> list[str]:
    code = ("import sys\nsys.argv = ['kamplan'] + sys.argv[1:]\nfrom kamplan.cli.main import main\n"
            "try:\n    main()\nfinally:\n"
            f"    print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n")
    done = run(code, *argv, cache=cache, env=env)
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED")]
    assert line, done.stderr
    return eval(line[-1].removeprefix("LOADED "))  # noqa: S307 -- our own print of a list of names


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A catalogue cache holding both languages (the first run of each compiles it with Babel)."""
    folder = tmp_path_factory.mktemp("cache")
    for lang in ("en", "zh-CN"):
        run("from kamplan.cli.main import main; main()", "--lang", lang, "--help", cache=folder)
    assert sorted(p.name.split("-")[0] for p in (folder / "catalogue").glob("*.mo")) == ["en", "zh_CN"]
    return folder


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["--lang", "zh-CN", "--help"],
                                  ["targets", "consolidate", "--help"], ["warnings", "--help", "--lang", "zh-CN"]])
def test_help_and_version_import_no_heavy_module(argv, cache):
    assert loaded_after(argv, cache) == []


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_subcommands_help_imports_no_heavy_module_and_speaks_the_language(lang, cache):
    code = f"HEAVY = {HEAVY!r}\n" + EVERY_HELP
    done = run(code, cache=cache, env={"KAMPLAN_LANG": lang})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert len(result["help"]) > 40  # every group and command of kamplan
    empty = [path for path, text in result["help"].items() if "--help" not in text]
    assert not empty
    usage = "用法" if lang == "zh-CN" else "Usage:"
    assert all(usage in text for text in result["help"].values())
    said = "检查工作区的配置" if lang == "zh-CN" else "Check the workspace's config"
    assert said in result["help"]["check"]


def test_the_catalogue_is_compiled_again_when_a_po_file_changes(tmp_path):
    """The cached catalogue is named by the hash of every .po file: another set of files makes another copy."""
    from kamplan.messages import compiled, po_files
    files = po_files("en")
    first = compiled.load("en", files, "kamplan")
    changed = tmp_path / "kamplan-extra.po"
    changed.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                       'msgid "cli.test.extra"\nmsgstr "an extra line"\n', encoding="utf-8")
    second = compiled.load("en", [*files, changed], "kamplan")
    assert first.gettext("cli.test.extra") == "cli.test.extra"
    assert second.gettext("cli.test.extra") == "an extra line"
    assert second.gettext("cli.profile.steps") == first.gettext("cli.profile.steps") != "cli.profile.steps"


def test_profile_goes_to_stderr_and_json_stays_valid(tmp_path, cache):
    ws = tmp_path / "ws"
    init = run("from kamplan.cli.main import main; main()", "init", str(ws), cache=cache)
    assert init.returncode == 0, init.stderr
    for argv, env in ((["--profile", "--lang", "en"], {}), ([], {"KAMPLAN_PROFILE": "1", "KAMPLAN_LANG": "en"})):
        done = run("from kamplan.cli.main import main; main()", "targets", "status", "--json", "-w", str(ws),
                   *argv, cache=cache, env=env)
        assert done.returncode == 0, done.stderr
        assert isinstance(json.loads(done.stdout), list)
        assert "Profile:" in done.stderr and "kamplan's steps" in done.stderr
        assert "kamplan/stages" in done.stderr or "kamplan/store" in done.stderr or "kamplan/config" in done.stderr
    zh = run("from kamplan.cli.main import main; main()", "--lang", "zh-CN", "--profile", "check", "-w", str(ws),
             cache=cache)
    assert zh.returncode == 0, zh.stderr
    assert "耗时分析" in zh.stderr and "耗时分析" not in zh.stdout
    plain = run("from kamplan.cli.main import main; main()", "check", "-w", str(ws), cache=cache)
    assert "Profile:" not in plain.stderr + plain.stdout


def test_a_read_only_command_keeps_the_parsed_config_next_to_the_yaml(tmp_path, cache):
    ws = tmp_path / "ws"
    run("from kamplan.cli.main import main; main()", "init", str(ws), cache=cache)
    (ws / ".kamplan" / "config-cache.json").unlink(missing_ok=True)
    done = run("from kamplan.cli.main import main; main()", "check", "-w", str(ws), cache=cache)
    assert done.returncode == 0, done.stderr
    assert (ws / ".kamplan" / "config-cache.json").is_file()
    # the config comes from the cache: no YAML parser; `check` reads no store: no SQLAlchemy
    loaded = loaded_after(["check", "-w", str(ws)], cache)
    assert "kamplan.config" in loaded and not {"yaml", "sqlalchemy"} & set(loaded)
