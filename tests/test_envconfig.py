"""Every option of both commands also read from ``TMF683_<OPTION>``."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.servers import ServerProcess
from tmf683 import EnvironmentParser
from tmf683.envconfig import env_name
from tmf683.events.command import build_parser as dispatcher_parser
from tmf683_falcon.config import build_parser

DOCS = Path(__file__).parent.parent / "docs" / "server.md"


def parser_with(environ: dict[str, str]) -> argparse.ArgumentParser:
    parser = build_parser()
    assert isinstance(parser, EnvironmentParser)
    parser.environ = environ
    return parser


def refusal(capsys, parser, argv=()):
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(list(argv))
    assert exited.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1
    return errors[0]


def test_a_variable_sets_an_option_and_the_command_line_wins():
    parser = parser_with({"TMF683_MAX_PAGE_SIZE": "7", "TMF683_DB": "memory:"})
    args = parser.parse_args([])
    assert (args.max_page_size, args.db) == (7, "memory:")
    args = parser.parse_args(["--max-page-size", "9", "--db", "x.db"])
    assert (args.max_page_size, args.db) == (9, "x.db")


def test_without_variables_the_defaults_hold_and_an_empty_one_is_unset():
    assert parser_with({}).parse_args([]) == parser_with(
        {"TMF683_PORT": "", "TMF683_PARTIAL_CONTENT": " "}
    ).parse_args([])
    assert parser_with({}).parse_args([]).port == 8080


def test_converted_and_checked_by_the_options_own_type_and_choices():
    args = parser_with(
        {
            "TMF683_VERSIONS": "v5",
            "TMF683_QUERY_TIMEOUT": "2.5",
            "TMF683_SQLITE_SYNCHRONOUS": "normal",
            "TMF683_BASE_URL": "https://api.example.com/gw/",
        }
    ).parse_args([])
    assert args.versions == ("v5",)
    assert args.query_timeout == 2.5
    assert args.sqlite_synchronous == "normal"
    assert args.base_url == "https://api.example.com/gw"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TMF683_PORT", "eighty", "'eighty' is not a whole number"),
        ("TMF683_PORT", "99999", "at most 65535"),
        ("TMF683_SQLITE_SYNCHRONOUS", "off", "invalid choice 'off'"),
        ("TMF683_PARTIAL_CONTENT", "maybe", "not one of 1, true, yes, on, 0"),
        ("TMF683_CALLBACK_DENY", "10.0.0.0/8, nonsense", "'nonsense' is not a CIDR"),
        ("TMF683_BASE_URL", "ftp://x", "is not an absolute http or https URL"),
    ],
)
def test_a_bad_value_is_one_error_line_naming_the_variable(
    capsys, variable, value, message
):
    line = refusal(capsys, parser_with({variable: value}))
    assert line.startswith(
        f"tmf683-server: error: environment variable {variable}={value!r}: "
    )
    assert message in line


def test_a_bad_variable_overridden_on_the_command_line_is_not_read():
    args = parser_with({"TMF683_PORT": "eighty"}).parse_args(["--port", "81"])
    assert args.port == 81


@pytest.mark.parametrize(
    ("value", "on"),
    [
        *((word, True) for word in ("1", "true", "YES", "on")),
        *((word, False) for word in ("0", "false", "No", "off")),
    ],
)
def test_flags_take_yes_and_no_words(value, on):
    args = parser_with(
        {"TMF683_PARTIAL_CONTENT": value, "TMF683_NO_DISPATCHER": value}
    ).parse_args([])
    assert (args.partial_content, args.no_dispatcher) == (on, on)


def test_repeatable_options_take_a_comma_or_space_separated_list():
    environ = {
        "TMF683_CALLBACK_HOST": "a.example, b.example c.example",
        "TMF683_ALLOWED_HOST": "api.example.com:443,[::1]:8080",
        "TMF683_CALLBACK_ALLOW": "10.0.0.0/8\nlistener.example",
    }
    args = parser_with(environ).parse_args([])
    assert args.callback_host == ["a.example", "b.example", "c.example"]
    assert args.allowed_host == ["api.example.com", "::1"]
    assert args.callback_allow == ["10.0.0.0/8", "listener.example"]
    # given on the command line, the option replaces the variable's list
    args = parser_with(environ).parse_args(["--callback-host", "d.example"])
    assert args.callback_host == ["d.example"]
    assert args.allowed_host == ["api.example.com", "::1"]


def test_a_variable_goes_through_the_options_own_action_as_the_command_line_does(
    capsys,
):
    # extend with a type that returns lists: one flat list, as on the command line
    environ = {
        "TMF683_TRUSTED_PROXY": "127.0.0.1,10.0.0.0/8 ::1",
        "TMF683_CORS_ORIGIN": "https://a.example https://b.example",
    }
    args = parser_with(environ).parse_args([])
    assert args.trusted_proxy == ["127.0.0.1", "10.0.0.0/8", "::1"]
    assert args.cors_origin == ["https://a.example", "https://b.example"]
    args = parser_with(environ).parse_args(["--cors-origin", "https://c.example"])
    assert args.cors_origin == ["https://c.example"]
    # a custom action's check of the values together runs on the variable too
    line = refusal(capsys, parser_with({"TMF683_CORS_ORIGIN": "*,https://a.example"}))
    assert "TMF683_CORS_ORIGIN" in line
    assert "alone" in line


def test_an_option_added_later_is_read_too():
    parser = parser_with({"TMF683_SOME_NEW_OPTION": "42", "TMF683_NEW_FLAG": "on"})
    parser.add_argument("--some-new-option", type=int, default=1)
    parser.add_argument("--new-flag", action="store_true")
    args = parser.parse_args([])
    assert (args.some_new_option, args.new_flag) == (42, True)


def test_help_names_each_options_variable(capsys):
    parser = parser_with({"TMF683_MAX_PAGE_SIZE": "5"})
    text = parser.format_help()
    for action in parser._actions:
        name = env_name(action)
        if name:
            assert f"{name}]" in re.sub(r"\s+", "", text), name
    assert "(default: 5)" in " ".join(text.split())
    assert "--version" in text


def table_rows() -> dict[str, tuple[str, str]]:
    """The options table of docs/server.md: option -> (variable, dispatcher)."""
    text = DOCS.read_text()
    section = text.split("(server-environment)=", 1)[1]
    rows = {}
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`--"):
            rows[cells[0].strip("`").split()[0]] = (cells[1].strip("`"), cells[2])
    return rows


def long_options(parser):
    return {
        action.option_strings[-1]: env_name(action)
        for action in parser._actions
        if env_name(action)
    }


def test_the_docs_table_lists_exactly_the_options_and_their_variables():
    rows = table_rows()
    server = long_options(build_parser())
    dispatcher = long_options(dispatcher_parser())
    assert {option: row[0] for option, row in rows.items()} == server
    assert {option for option, row in rows.items() if row[1] == "yes"} == set(
        dispatcher
    )


@pytest.mark.parametrize(
    ("module", "prog"),
    [
        ("tmf683_falcon", "tmf683-server"),
        ("tmf683.events.command", "tmf683-dispatcher"),
        ("tmf683.cli", "tmf683"),
    ],
)
def test_every_command_prints_its_version(module, prog):
    from importlib import metadata

    result = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == f"{prog} {metadata.version('tmf683')}"


def test_the_real_server_reads_its_options_from_the_environment():
    env = {"TMF683_DB": "memory:", "TMF683_MAX_PAGE_SIZE": "1"}
    with ServerProcess(env=env) as server:
        for _ in range(2):
            assert httpx.post(f"{server.base}partyInteraction", json=MINIMAL).is_success
        listed = httpx.get(f"{server.base}partyInteraction")
    assert (len(listed.json()), listed.headers["X-Total-Count"]) == (1, "2")
    assert any("(store: memory:)" in line for line in server.log)


def test_the_real_dispatcher_refuses_a_bad_variable_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "tmf683.events.command"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "TMF683_MAX_ATTEMPTS": "0"},
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "tmf683-dispatcher: error: environment variable TMF683_MAX_ATTEMPTS='0': "
        "0 must be above 0"
    ]


def test_the_real_dispatcher_logs_json_lines_from_the_environment(tmp_path):
    import json
    import signal

    from tests.servers import wait_for_exit

    command = "import sys; from tmf683.events.command import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", command],  # -m adds runpy's warning to stderr
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={
            **os.environ,
            "TMF683_DB": str(tmp_path / "d.db"),
            "TMF683_LOG_FORMAT": "json",
        },
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # the start line, or EOF if it died
        assert json.loads(first)["message"].startswith("delivering events from")
        process.send_signal(signal.SIGTERM)
        assert wait_for_exit(process, 20) == 0
        rest = [json.loads(line) for line in process.stderr if line.strip()]
        assert [entry["message"] for entry in rest][-1] == "stopped"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "'abc' is not a number"), ("-1", "must be 0 or more seconds")],
)
def test_seconds_options_refuse_what_is_not_a_duration(capsys, value, message):
    line = refusal(capsys, parser_with({}), ["--query-timeout", value])
    assert message in line


def test_help_shows_a_variables_value_as_the_default_and_positionals_have_none():
    parser = EnvironmentParser(prog="p", environ={"TMF683_LIMIT": "7"})
    parser.add_argument("--limit", type=int, default=3, help="(default: %(default)s)")
    positional = parser.add_argument("file")
    assert env_name(positional) is None
    assert "(default: 7) [env: TMF683_LIMIT]" in " ".join(parser.format_help().split())


@pytest.mark.parametrize(("value", "on"), [("yes", True), ("off", False)])
def test_a_boolean_optional_flag_reads_yes_and_no(value, on):
    parser = EnvironmentParser(prog="p", environ={"TMF683_COLOUR": value})
    parser.add_argument("--colour", action=argparse.BooleanOptionalAction)
    assert parser.parse_args([]).colour is on
    assert parser.parse_args(["--no-colour"]).colour is False
