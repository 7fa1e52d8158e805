"""The ``wattprint`` command line: one group, one module per command family.

Conventions for every command: ``--help`` with examples, ``--json`` where
figures are printed, exit 0 on success, 2 on bad usage or input, 1 on other
errors, one line on stderr (a traceback only with ``--debug``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from wattprint.errors import WattprintError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(package_name="wattprint")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Measure the energy (kWh) and carbon (kg CO2e) of AI work.

    \b
    Examples:
      wattprint run -- python train.py        track a command
      wattprint runs --project demo           list recorded runs
      wattprint show 3f2a                     one run in detail
      wattprint intensity DE                  grid intensity of a zone
      wattprint doctor                        which sensors work here
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")


def _register() -> None:
    from wattprint.cli import (
        account_cmds,
        advise_cmd,
        assess_cmd,
        budget_cmds,
        collector_cmd,
        compare_cmd,
        dashboard_cmd,
        doctor,
        estimate_cmds,
        exporter_cmd,
        forecast_cmds,
        govern_cmds,
        ledger_cmds,
        plan_cmd,
        report_cmd,
        run_cmd,
        submit_cmd,
        zone_cmds,
    )

    cli.add_command(run_cmd.run)
    cli.add_command(ledger_cmds.runs)
    cli.add_command(ledger_cmds.show)
    cli.add_command(ledger_cmds.export)
    cli.add_command(ledger_cmds.import_)
    cli.add_command(ledger_cmds.recompute)
    cli.add_command(zone_cmds.zones)
    cli.add_command(zone_cmds.intensity)
    cli.add_command(doctor.doctor)
    cli.add_command(forecast_cmds.forecast_eval)
    cli.add_command(forecast_cmds.backtest)
    cli.add_command(plan_cmd.plan)
    cli.add_command(budget_cmds.budget)
    cli.add_command(submit_cmd.submit)
    cli.add_command(estimate_cmds.hardware)
    cli.add_command(estimate_cmds.estimate)
    cli.add_command(account_cmds.account)
    cli.add_command(govern_cmds.instrument)
    cli.add_command(govern_cmds.target)
    cli.add_command(govern_cmds.offset)
    cli.add_command(assess_cmd.assess)
    cli.add_command(dashboard_cmd.dashboard)
    cli.add_command(report_cmd.report)
    cli.add_command(exporter_cmd.exporter)
    cli.add_command(advise_cmd.advise)
    cli.add_command(compare_cmd.compare)
    cli.add_command(collector_cmd.collector)


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="wattprint", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("wattprint: aborted", err=True)
        return 130
    except WattprintError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"wattprint: error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 — the CLI's last line of defence
        if debug:
            traceback.print_exc()
        click.echo(f"wattprint: error: {type(exc).__name__}: {exc} (use --debug)", err=True)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
