"""Every CLI command has help with a runnable example and is documented in the README
(the sqlite-utils habit: a command without help or docs fails the build)."""
from pathlib import Path

import pytest

README = (Path(__file__).parents[1] / "README.md").read_text()
COMMANDS = [["data", "import"], ["index", "rebuild"], ["eval"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_has_help_with_example(empty_app, command):
    result = empty_app.test_cli_runner().invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"flask --app wsgi {' '.join(command)}" in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_is_in_readme(command):
    assert f"flask --app wsgi {' '.join(command)}" in README


def test_no_undocumented_commands(empty_app):
    commands = empty_app.cli.commands
    assert {"data", "index", "eval"} <= set(commands)
    for name in ("data", "index"):
        for sub in commands[name].commands:
            assert [name, sub] in COMMANDS
