"""The ``nucleus-convert`` command line.

Errors that are about the input, the destination, a format or a plugin print one clear message
on stderr and exit with status 2, without a traceback. ``roundtrip`` exits with 1 when it lost
something both formats can carry.

One module per command or two (``convert_cmd``, ``formats_cmd``, ``check_cmd``,
``datasets_cmd``, ``preview_cmd``), sharing the group
and helpers of ``common``; importing them registers the commands on :data:`cli`.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from nucleus_convert.cli import check_cmd, convert_cmd, datasets_cmd, formats_cmd, preview_cmd
from nucleus_convert.cli.common import EXIT_LOSS, EXIT_USAGE, cli
from nucleus_convert.errors import NucleusConvertError

__all__ = ["EXIT_LOSS", "EXIT_USAGE", "Terminated", "cli", "main"]

_COMMANDS = (
    check_cmd,
    convert_cmd,
    datasets_cmd,
    formats_cmd,
    preview_cmd,
)  # imported for their @cli.command


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so that every clean-up runs (the temporary
    output is removed) before the process exits with 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: FrameType | None) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning our errors into one line and exit status 2.

    SIGTERM and SIGHUP become :class:`Terminated` and SIGINT ``KeyboardInterrupt``, so an
    interrupted conversion removes its temporary output before exiting (143, 129, 130).
    """
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            signal.signal(sig, _terminate)
    try:
        rc = cli.main(args=argv, prog_name="nucleus-convert", standalone_mode=False)
    except Terminated as exc:
        click.echo(f"terminated by {signal.Signals(exc.signum).name}", err=True)
        sys.exit(128 + exc.signum)
    except NucleusConvertError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(rc, int) and rc:
        sys.exit(rc)
