"""Every command-line option also read from an environment variable.

:class:`EnvironmentParser` is an :class:`argparse.ArgumentParser` whose every
option ``--some-option`` also reads ``TMF683_SOME_OPTION`` (the prefix, then the
long option name in capitals with ``-`` as ``_``). The command line wins over the
environment, the environment over the option's default. The options are walked
when the parser parses (and when it prints ``--help``), so an option added by any
``add_..._options(parser)`` is covered without being listed anywhere.

How a variable's text is read:

- an option with a value: converted by the option's ``type`` and checked against
  its ``choices``, as if given on the command line;
- a flag (``store_true``, ``store_false``, ``store_const``): ``1``, ``true``,
  ``yes``, ``on`` turn it on, ``0``, ``false``, ``no``, ``off`` leave it off (any
  case);
- an option that may be repeated (``append``, or ``nargs`` ``*``/``+``): a list
  separated by commas or white space, each item converted by ``type``; given on the
  command line, the option replaces the whole list of the variable;
- an empty variable counts as unset.

A value that does not convert stops the command with status 2 and one error line
naming the variable (``tmf683-server: error: environment variable
TMF683_PORT='eighty': 'eighty' is not a whole number``). Options that name a file
(a secret's, e.g. ``--delivery-token-file``) take its path from the variable, like
any other value: secrets stay in files.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any, NoReturn

ENV_PREFIX = "TMF683_"
"""The prefix of the environment variables of the tmf683 commands."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_LIST_SEPARATORS = re.compile(r"[,\s]+")
_FLAG_ACTIONS = (
    argparse._StoreTrueAction,
    argparse._StoreFalseAction,
    argparse._StoreConstAction,
)
_SKIPPED_ACTIONS = (
    argparse._HelpAction,
    argparse._VersionAction,
    argparse._CountAction,
    argparse._AppendConstAction,
)


class _FromEnvironment:
    """The default of an option whose variable is set: converted after parsing."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text

    def __str__(self) -> str:  # shown by %(default)s in --help
        return self.text


class _ListFromEnvironment(list[Any]):
    """The default of a repeatable option whose variable is set.

    argparse appends the command line's values to a copy of the default: a copy
    that stays empty means the option was not on the command line.
    """

    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        self.name = name
        self.text = text

    def __str__(self) -> str:
        return self.text


def env_name(action: argparse.Action, prefix: str = ENV_PREFIX) -> str | None:
    """The environment variable of an option, or None for one that has none.

    Args:
        action: an option of a parser (what ``add_argument`` returned).
        prefix: the variables' prefix.

    Returns:
        e.g. ``"TMF683_MAX_PAGE_SIZE"`` for ``--max-page-size``; None for
        positional arguments, ``--help``, ``--version`` and counting options.
    """
    if isinstance(action, _SKIPPED_ACTIONS):
        return None
    long_names = [name for name in action.option_strings if name.startswith("--")]
    if not long_names:
        return None
    return prefix + long_names[0][2:].upper().replace("-", "_")


def _is_list(action: argparse.Action) -> bool:
    return isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")


def _is_flag(action: argparse.Action) -> bool:
    return isinstance(action, _FLAG_ACTIONS) or action.nargs == 0


class EnvironmentParser(argparse.ArgumentParser):
    """An argument parser whose options also read ``<prefix><OPTION>`` variables.

    Args:
        *args: as :class:`argparse.ArgumentParser`.
        env_prefix: the prefix of the variables (default ``TMF683_``).
        environ: where the variables are read (default :data:`os.environ`, read
            at each parse).
        **kwargs: as :class:`argparse.ArgumentParser`.
    """

    def __init__(
        self,
        *args: Any,
        env_prefix: str = ENV_PREFIX,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.env_prefix = env_prefix
        self.environ = environ
        self._declared: dict[str, Any] = {}  # dest -> the default as declared

    def environment_options(self) -> list[tuple[argparse.Action, str]]:
        """Every option that reads a variable, with its variable, in parser order."""
        prefix = self.env_prefix
        named = [(action, env_name(action, prefix)) for action in self._actions]
        return [(action, name) for action, name in named if name is not None]

    def _read_environment(self) -> None:
        """Make each set variable the default of its option (declared ones kept)."""
        environ = os.environ if self.environ is None else self.environ
        for action, name in self.environment_options():
            if action.dest not in self._declared:
                self._declared[action.dest] = action.default
                if action.help and action.help is not argparse.SUPPRESS:
                    action.help = f"{action.help} [env: {name}]"
            text = environ.get(name, "")
            if not text.strip():
                action.default = self._declared[action.dest]
            elif _is_list(action) or isinstance(self._declared[action.dest], list):
                action.default = _ListFromEnvironment(name, text)
            else:
                action.default = _FromEnvironment(name, text)

    def parse_known_args(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse as argparse does, then read the variables of options not given.

        Exits with status 2 (``error``) naming a variable that does not
        convert.
        """
        self._read_environment()
        parsed, rest = super().parse_known_args(args, namespace)
        for action, _ in self.environment_options():
            value = getattr(parsed, action.dest, None)
            if isinstance(value, _ListFromEnvironment):
                converted: Any = (
                    list(value) if value else self._convert_list(action, value)
                )
            elif isinstance(value, _FromEnvironment):
                converted = self._convert(action, value)
            else:
                continue
            setattr(parsed, action.dest, converted)
        return parsed, rest

    def format_help(self) -> str:
        """The help, each option naming its variable (``[env: TMF683_...]``)."""
        self._read_environment()
        return super().format_help()

    def _convert(self, action: argparse.Action, value: _FromEnvironment) -> Any:
        text = value.text.strip()
        if _is_flag(action):
            lowered = text.lower()
            if lowered not in _TRUE | _FALSE:
                self._refuse(value, "not one of 1, true, yes, on, 0, false, no, off")
            if isinstance(action, argparse.BooleanOptionalAction):
                return lowered in _TRUE
            if lowered in _FALSE:
                return self._declared[action.dest]
            return action.const
        return self._apply(action, value, [self._one(action, value, text)])

    def _apply(
        self,
        action: argparse.Action,
        value: _FromEnvironment | _ListFromEnvironment,
        converted: list[Any],
    ) -> Any:
        """What the option's action makes of the values, as on the command line.

        ``extend`` flattens the lists its ``type`` returns, a custom action checks
        the values together: each runs as if the values were given in turn.
        """
        namespace = argparse.Namespace()
        declared = self._declared[action.dest]
        start = list(declared) if isinstance(declared, list) else declared
        setattr(namespace, action.dest, start)
        for item in converted:
            action(self, namespace, item, value.name)
        return getattr(namespace, action.dest)

    def _convert_list(
        self, action: argparse.Action, value: _ListFromEnvironment
    ) -> Any:
        items = [item for item in _LIST_SEPARATORS.split(value.text) if item]
        return self._apply(action, value, [self._one(action, value, i) for i in items])

    def _one(
        self,
        action: argparse.Action,
        value: _FromEnvironment | _ListFromEnvironment,
        text: str,
    ) -> Any:
        try:
            converted = self._get_value(action, text)
        except argparse.ArgumentError as exc:
            self._refuse(value, exc.message)
        if action.choices is not None and converted not in action.choices:
            choices = ", ".join(repr(choice) for choice in action.choices)
            self._refuse(value, f"invalid choice {text!r} (choose from {choices})")
        return converted

    def _refuse(
        self, value: _FromEnvironment | _ListFromEnvironment, message: str
    ) -> NoReturn:
        self.error(f"environment variable {value.name}={value.text!r}: {message}")


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--version``: prints the program name and the installed tmf683 version."""
    try:
        version = metadata.version("tmf683")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        version = "unknown"
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
