"""The documentation site: it builds with warnings as errors, and the commands it shows work.

A tutorial's shell blocks (```sh) hold commands a reader types. Every `ann-keras` command in them must parse
with the real click commands and name an experiment and profile that load; the blocks marked `<!-- run -->`
(the smoke steps a reader runs first) are run for real, one tutorial per test, in a home folder of their own.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ann_keras import experiments, specs
from ann_keras.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIALS = sorted(p for p in (DOCS / "tutorials").glob("*.md") if p.name != "index.md")
HOW_TO = sorted(p for p in (DOCS / "how-to").glob("*.md") if p.name != "index.md")
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
RUN_BLOCK = re.compile(r"^<!-- run -->\n```sh\n(.*?)^```", re.M | re.S)
SPEC_BLOCK = re.compile(r"^<!-- spec -->\n```toml\n(.*?)^```", re.M | re.S)
SEPARATORS = {"&&", "||", ";", "|"}


def ann_keras_commands(text: str) -> list[list[str]]:
    """Return the arguments of every `ann-keras` command in the shell blocks of a page."""
    commands = []
    for block in SHELL_BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words, current = [], []
            for token in shlex.split(line, comments=True) + [";"]:
                if token in SEPARATORS:
                    words.append(current)
                    current = []
                else:
                    current.append(token)
            for command in words:
                while command and re.match(r"^[A-Z_]+=", command[0]):   # VAR=value before the command
                    command = command[1:]
                if command and command[0] == "ann-keras":
                    commands.append(command[1:])
    return commands


@pytest.fixture
def paths_not_checked(monkeypatch):
    """Let click accept paths that do not exist here: a page's paths are the reader's (a run folder, a copy)."""
    for command in cli.commands.values():
        for param in command.params:
            if isinstance(param.type, click.Path):
                monkeypatch.setattr(param.type, "exists", False)


def parse(args: list[str]) -> tuple[str, dict]:
    """Return the command's name and its parsed parameters; raise click's error for anything it would refuse."""
    assert args, "`ann-keras` alone"
    name, rest = args[0], args[1:]
    assert name in cli.commands, f"ann-keras {name}: no such command; valid: {', '.join(cli.commands)}"
    parent = click.Context(cli, info_name="ann-keras")
    with cli.commands[name].make_context(name, list(rest), parent=parent) as ctx:
        return name, dict(ctx.params)


def load(name: str, params: dict, *, known_only: bool) -> None:
    """Load the experiments a parsed tune, train or reproduce command names, as the command would."""
    if name in ("tune", "train"):
        experiment = params["experiment"]
        if known_only and experiment not in specs.available():
            return
        experiments.load(experiment, params["profile"], tuple(params["overrides"]), dataset=params["dataset"],
                         data_path=str(params["data_path"]) if params["data_path"] else None)
    elif name == "reproduce":
        for experiment in params["experiments"]:
            experiments.load(experiment)


# ---------------------------------------------------------------- the site


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for page in ("tutorials/mlp", "how-to/resume", "reference/cli", "reference/spec", "reference/results",
                 "reproduction", "reports/ann/readme"):
        assert (site / page / "index.html").is_file(), page
    assert (site / "reports" / "ann" / "index.html").is_file()          # the report's own page, not replaced
    assert (site / "reports" / "ann" / "training_curves.png").is_file()
    assert "ann-keras tune" in (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_covers_every_command_parameter_and_schema_part():
    import json

    from ann_keras import models
    generator = _generator()
    page = generator.cli_page()
    for name, command in cli.commands.items():
        assert f"## ann-keras {name}\n" in page
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.opts[-1] in page, (name, param.opts)
    page = generator.spec_page()
    for family in models.FAMILIES.values():
        for key in family.PARAMS:
            assert f"| `{key}` |" in page, key
    page = generator.results_page()
    for name in json.loads((ROOT / "ann_keras" / "results.schema.json").read_text())["$defs"]:
        assert f"## {name} {{#{name}}}\n" in page, name


# ---------------------------------------------------------------- the commands the pages show


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.stem)
def test_each_tutorial_command_parses_and_names_an_experiment_and_profile(page, paths_not_checked):
    text = page.read_text(encoding="utf-8")
    commands = ann_keras_commands(text)
    assert commands, f"{page.name}: no ann-keras command"
    assert RUN_BLOCK.search(text), f"{page.name}: no <!-- run --> block for the reader's first steps"
    for args in commands:
        name, params = parse(args)
        load(name, params, known_only=False)
    run = [args for block in RUN_BLOCK.findall(text) for args in ann_keras_commands(f"```sh\n{block}```")]
    for args in run:
        name, params = parse(args)
        if name in ("tune", "train"):
            assert params["profile"] == "smoke", f"{page.name}: a step the tests run should use --profile smoke"


@pytest.mark.parametrize("page", HOW_TO, ids=lambda p: p.stem)
def test_each_how_to_command_parses(page, paths_not_checked):
    for args in ann_keras_commands(page.read_text(encoding="utf-8")):
        name, params = parse(args)
        load(name, params, known_only=True)   # a guide may name the reader's own spec


def test_the_spec_a_how_to_writes_loads_in_every_profile(tmp_path, monkeypatch):
    (block,) = SPEC_BLOCK.findall((DOCS / "how-to" / "write-a-spec.md").read_text(encoding="utf-8"))
    import tomllib
    name = tomllib.loads(block)["name"]
    (tmp_path / "tuning").mkdir()
    (tmp_path / "tuning" / f"{name}.toml").write_text(block, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    spec = experiments.load(name)
    for profile in spec.profiles:
        assert experiments.load(name, profile).profile == profile


def test_commands_are_found_past_continuations_comments_and_separators():
    text = "```sh\nmkdir -p x && cd x   # a comment\nA=1 ann-keras tune ann \\\n  --profile smoke\n```\n"
    assert ann_keras_commands(text) == [["tune", "ann", "--profile", "smoke"]]


# ---------------------------------------------------------------- the smoke steps, run


@pytest.mark.slow
@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.stem)
def test_each_tutorials_smoke_steps_run(page, tmp_path):
    """A reader's first steps, as typed: the tutorial's <!-- run --> blocks in one shell, in a fresh home."""
    script = "\n".join(RUN_BLOCK.findall(page.read_text(encoding="utf-8")))
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("ANN_KERAS_CACHE", None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{page.name}:\n{script}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
