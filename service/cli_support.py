"""What every `tvaers` command shares: one-line failures with documented exit codes, and progress.

A command (or a sub-app added to `service.cli.app`) gets all of this for free:
- raise `CliError("what went wrong and what to do", ExitCode.X)` to refuse; never print a traceback;
- call `require_database()` before the first query, so an unreachable or unmigrated database is one line;
- wrap long work in `with progress("label", total) as bar: … bar.advance()`;
- anything unexpected becomes one line naming the exception type and where it happened — the message is
  withheld, since driver and validation messages can quote personal data.
"""

import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TextIO

import typer

try:  # typer vendors its own click since 0.20; its exceptions are what a typer app raises
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - an older typer on the real click
    from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    CONFIGURATION = 3
    DATABASE_UNREACHABLE = 4
    SCHEMA_NOT_CURRENT = 5
    INTERRUPTED = 130
    INTERNAL = 70


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "the command ran and refused or failed; the message says why",
    ExitCode.USAGE: "unknown command or option, or an option value out of range (see `--help`)",
    ExitCode.CONFIGURATION: "a setting (`TVAERS_*`, `DATABASE_URL`) breaks a rule; the message names it, "
                            "never its value",
    ExitCode.DATABASE_UNREACHABLE: "the database does not answer (check `DATABASE_URL` and that the server runs)",
    ExitCode.SCHEMA_NOT_CURRENT: "the database schema is not at the newest migration: run `tvaers db upgrade`",
    ExitCode.INTERNAL: "a bug: the line names the exception type and where it was raised (message withheld)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class CliError(Exception):
    """A refusal a command reports as one line on stderr with its exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: ExitCode = ExitCode.FAILED) -> NoReturn:
    raise CliError(message, code)


def require_database(*, migrated: bool = True) -> None:
    """Refuse with one line when the database does not answer or (if `migrated`) is behind head."""
    from service.core.db import get_engine
    from service.migrations import schema_state

    state = schema_state(get_engine())
    if not state.reachable:
        fail("the database does not answer; check DATABASE_URL and that the server is running",
             ExitCode.DATABASE_UNREACHABLE)
    if migrated and not state.at_head:
        fail(schema_behind_message(state.current), ExitCode.SCHEMA_NOT_CURRENT)


def schema_behind_message(current: Any) -> str:
    where = "has no tables yet" if not current else "is not at the newest migration"
    return f"the database schema {where}; run `tvaers db upgrade` first"


# --- the central handler -----------------------------------------------------------------------------

def run(app: typer.Typer, args: list[str] | None = None, stderr: TextIO | None = None) -> int:
    """Run the typer app and turn every failure into one line on stderr and an `ExitCode`."""
    err = stderr or sys.stderr
    try:
        result = app(args=args, standalone_mode=False, prog_name="tvaers")
    except CliError as exc:
        return _report(err, exc.message, exc.code)
    except NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "")
        return ExitCode.USAGE
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "tvaers"
        return _report(err, f"{exc.format_message()} (see `{command} --help`)", ExitCode.USAGE)
    except typer.TyperException as exc:  # click's other exceptions (e.g. a file it could not open)
        return _report(err, exc.format_message(), ExitCode.FAILED)
    except (typer.Abort, KeyboardInterrupt):
        return _report(err, "interrupted", ExitCode.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
        message, code = describe(exc)
        return _report(err, message, code)
    return int(result) if isinstance(result, int) else ExitCode.OK


def _report(err: TextIO, message: str, code: ExitCode) -> int:
    # One line: newlines inside a message would make the failure look like several.
    err.write("error: " + " ".join(message.split()) + "\n")
    err.flush()
    return int(code)


def describe(exc: BaseException) -> tuple[str, ExitCode]:
    """A one-line description of an exception a command did not handle, and its exit code."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DBAPIError

    from service.core.settings_errors import ConfigurationError

    if isinstance(exc, ConfigurationError):
        return f"configuration: {exc}", ExitCode.CONFIGURATION
    if isinstance(exc, CommandError):
        # Alembic's messages name revisions and files, which the operator typed or owns.
        return f"migration: {exc}", ExitCode.FAILED
    if isinstance(exc, DBAPIError):
        return _diagnose_database(exc)
    return f"unexpected {type(exc).__name__} at {_origin(exc)} (message withheld; please report it)", \
        ExitCode.INTERNAL


def _diagnose_database(exc: BaseException) -> tuple[str, ExitCode]:
    """A driver error's text may quote the row it was writing, so say what state the database is in instead."""
    try:
        require_database()
    except CliError as diagnosed:
        return diagnosed.message, diagnosed.code
    except Exception:  # noqa: BLE001 - diagnosing must not raise over the original failure
        pass
    return f"the database refused the operation ({type(exc).__name__} at {_origin(exc)}; message withheld)", \
        ExitCode.FAILED


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/service/" in f.filename or "/schema/" in f.filename] or frames
    if not ours:
        return "unknown location"
    frame = ours[-1]
    parts = Path(frame.filename).parts
    short = "/".join(parts[parts.index("service"):] if "service" in parts else parts[-2:])
    return f"{short}:{frame.lineno}"


# --- progress ----------------------------------------------------------------------------------------

class Progress:
    """Counts steps on stderr: a bar on a terminal, and a line per tenth (or per step when few) otherwise."""

    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self._tty = stream.isatty()
        self._last_line = -1
        self._width = 0
        self._started = time.monotonic()

    def advance(self, steps: int = 1, item: str | None = None) -> None:
        self.done += steps
        if self._tty:
            self._draw(item)
        elif self._due():
            self._line(item)

    def _due(self) -> bool:
        if not self.total:
            return True
        tenth = self.done * 10 // self.total
        if self.total <= 20 or tenth != self._last_line or self.done == self.total:
            self._last_line = tenth
            return True
        return False

    def _line(self, item: str | None) -> None:
        of = f"/{self.total}" if self.total else ""
        suffix = f" {item}" if item else ""
        self.stream.write(f"{self.label}: {self.done}{of}{suffix}\n")
        self.stream.flush()

    def _draw(self, item: str | None) -> None:
        if self.total:
            filled = min(30, self.done * 30 // self.total)
            line = f"{self.label} [{'#' * filled}{'-' * (30 - filled)}] {self.done}/{self.total} {item or ''}"
        else:
            line = f"{self.label}: {self.done} {item or ''}"
        self._width = max(self._width, len(line))
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()

    def finish(self) -> None:
        elapsed = time.monotonic() - self._started
        if self._tty:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: done ({self.done} in {elapsed:.1f} s)\n")
        self.stream.flush()


@contextmanager
def progress(label: str, total: int | None = None, stream: TextIO | None = None) -> Iterator[Progress]:
    """`with progress("seed", 5) as bar: … bar.advance(item="offers")` — progress on stderr."""
    bar = Progress(label, total, stream or sys.stderr)
    yield bar
    bar.finish()
