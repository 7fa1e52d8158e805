"""The one exception tree of wattprint.

::

    WattprintError
    ├── ConfigError            bad setting (names the key and where it came from)
    │   ├── UnknownZoneError   zone not found (carries close matches)
    │   └── UnknownHardwareError   device or instance type not found (carries close matches)
    ├── SensorError            a sensor failed to read
    │   └── SensorPermissionError   files exist but are not readable (carries the fix)
    ├── ProviderError          an intensity provider failed
    ├── LedgerError            the ledger could not be opened or written
    ├── PlanError              a job cannot be planned as asked
    ├── ExecutorError          a scheduler (sbatch, ...) refused or failed a submission
    ├── MissingExtraError      an optional dependency is missing (carries the pip line)
    └── RunNotFoundError       no run with that id in the ledger

Third-party errors are mapped once per backend with ``raise ... from e``; the
CLI turns any ``WattprintError`` into one line on stderr and exit code 2 (bad
input) or 1 (anything else).
"""

from __future__ import annotations

from collections.abc import Sequence


class WattprintError(Exception):
    """Base of every error wattprint raises on purpose."""

    #: Exit code the CLI uses for this error: 2 for bad input, 1 otherwise.
    exit_code = 1


class ConfigError(WattprintError):
    """A setting or argument is invalid; the message names it and its source."""

    exit_code = 2


class UnknownZoneError(ConfigError):
    """No grid zone matches; ``matches`` holds the closest known zone ids."""

    def __init__(self, zone: str, matches: Sequence[str] = ()) -> None:
        self.zone = zone
        self.matches = tuple(matches)
        hint = f"; did you mean {', '.join(self.matches)}?" if self.matches else ""
        super().__init__(f"unknown zone {zone!r}{hint} (see `wattprint zones`)")


class UnknownHardwareError(ConfigError):
    """No device or cloud instance type matches; ``matches`` holds the closest ids."""

    def __init__(self, name: str, kind: str, matches: Sequence[str] = ()) -> None:
        self.name = name
        self.kind = kind
        self.matches = tuple(matches)
        hint = f"; did you mean {', '.join(self.matches)}?" if self.matches else ""
        super().__init__(f"unknown {kind} {name!r}{hint} (see `wattprint hardware`)")


class SensorError(WattprintError):
    """A sensor could not be read."""


class SensorPermissionError(SensorError):
    """Sensor files exist but are not readable; ``fix`` says how to allow it."""

    def __init__(self, message: str, fix: str) -> None:
        self.fix = fix
        super().__init__(f"{message}; fix: {fix}")


class ProviderError(WattprintError):
    """An intensity provider failed (network, auth, bad response)."""


class LedgerError(WattprintError):
    """The ledger could not be opened, migrated or written."""


class PlanError(WattprintError):
    """A job cannot be planned within its constraints."""

    exit_code = 2


class ExecutorError(WattprintError):
    """A scheduler refused or failed a submission; the message has its own words."""


class MissingExtraError(WattprintError):
    """An optional dependency is not installed; the message has the pip (or apt) line.

    ``install`` replaces the default ``pip install 'wattprint[extra]'`` line for a
    dependency pip cannot provide (a system library: the ``apt-get`` line).
    """

    def __init__(self, package: str, extra: str, *, install: str = "") -> None:
        self.package = package
        self.extra = extra
        self.install = install or f"pip install 'wattprint[{extra}]'"
        super().__init__(f"{package} is not installed; run: {self.install}")


class RunNotFoundError(WattprintError):
    """No run with the given id (or id prefix) is in the ledger."""

    exit_code = 2
