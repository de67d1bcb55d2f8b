"""README.md says what the command line and the Makefile offer: both must agree with it.

The command table under "## Command line" names every command of ``python -m metrics`` (a
command added to the parser without a row fails here), with only flags that command has.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from metrics import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the README's ``## title`` section, up to the next ``## `` heading."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert found, f"README.md has no '## {title}' section"
    return found.group(1)


def cells(line: str) -> list[str]:
    """The cells of a markdown table row; ``\\|`` is a pipe inside a cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def command_table() -> dict[str, tuple[str, str]]:
    """Command name -> (its usage as the first cell writes it, without backticks; the whole row)."""
    lines = [line for line in section("Command line").splitlines() if line.lstrip().startswith("|")]
    assert len(lines) > 2, "no command table under '## Command line'"
    header, rule, *rows = lines
    assert [c.lower() for c in cells(header)] == ["command", "what it does"]
    assert all(set(c) <= set("-: ") for c in cells(rule))
    table = {}
    for line in rows:
        first, *_ = cells(line)
        usage = re.fullmatch(r"`([^`]+)`", first)
        assert usage, f"the first cell of {line!r} is not one `command …`"
        name = usage.group(1).split()[0]
        assert name not in table, f"{name} has two rows"
        table[name] = (usage.group(1), line)
    return table


def subparsers() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


TABLE = command_table()
COMMANDS = subparsers()


def options(command: str) -> dict[str, argparse.Action]:
    return {flag: action for action in COMMANDS[command]._actions for flag in action.option_strings}


def test_the_table_names_exactly_the_commands_of_the_cli():
    assert sorted(TABLE) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_row(command):
    assert command in TABLE, f"README.md: add a row for `{command}` to the table under '## Command line'"


@pytest.mark.parametrize("command", sorted(TABLE))
def test_the_row_names_a_real_command(command):
    assert command in COMMANDS, f"README.md names `{command}`, which `python -m metrics` does not have"


@pytest.mark.parametrize("command", sorted(TABLE))
def test_every_flag_of_the_row_exists(command):
    """Flags anywhere in the row (usage or description) are flags of that command."""
    _, row = TABLE[command]
    written = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", row))
    unknown = written - set(options(command))
    assert not unknown, f"README.md's row for `{command}` names {sorted(unknown)}, which it does not have"


@pytest.mark.parametrize("command", sorted(TABLE))
def test_usage_matches_the_parser(command):
    """A flag that takes a value is followed by one (``a|b``: exactly its choices), a flag that
    takes none is not; the other words are the command's positional arguments, one each."""
    usage, _ = TABLE[command]
    tokens = usage.replace("[", " ").replace("]", " ").split()[1:]
    known = options(command)
    named = []
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("--"):
            named.append(token)
            continue
        if token not in known:
            continue  # reported by test_every_flag_of_the_row_exists
        if known[token].nargs == 0:
            continue
        assert tokens and not tokens[0].startswith("--"), f"README: `{command} {token}` needs a value"
        value = tokens.pop(0)
        if "|" in value or known[token].choices:
            choices = set(known[token].choices or ())
            assert set(value.split("|")) == choices, f"README: `{command} {token} {value}`; parser: {choices}"
    positionals = [a.dest for a in COMMANDS[command]._actions if not a.option_strings]
    assert len(named) == len(positionals), f"README: `{usage}`; the parser's positionals: {positionals}"


def test_make_targets_named_in_the_readme_exist():
    targets = set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", MAKEFILE, re.MULTILINE))
    quick_start = set(re.findall(r"^make (\w[\w-]*)", section("Quick start"), re.MULTILINE))
    assert {"run", "test"} <= quick_start
    named = set(re.findall(r"`make (\w[\w-]*)", README)) | quick_start
    assert named <= targets, f"README.md names make targets the Makefile lacks: {sorted(named - targets)}"
