"""`tvaers audit …`: seal the audit chain, verify it, export a signed checkpoint."""

import json
from pathlib import Path
from typing import Annotated

import typer

audit_app = typer.Typer(help="Tamper-evident audit trail.", no_args_is_help=True)


def _session():  # type: ignore[no-untyped-def]
    from service.core.db import new_session

    return new_session()


@audit_app.command("seal")
def seal() -> None:
    """Chain every committed, not yet sealed audit event (run it every minute, e.g. from cron)."""
    from service.audit import chain

    with _session() as session:
        count = chain.seal(session)
        session.commit()
    typer.echo(f"sealed {count} audit event(s)")


@audit_app.command("verify")
def verify(checkpoint: Annotated[list[Path] | None, typer.Option(
               help="An exported checkpoint file to check the chain against (repeatable).")] = None,
           no_seal: Annotated[bool, typer.Option("--no-seal", help="Verify without sealing first.")] = False,
           ) -> None:
    """Walk the chain; report the first changed, inserted or deleted event. Exit 1 when one is found."""
    from service.audit import chain

    checkpoints = [json.loads(p.read_text()) for p in checkpoint or []]
    with _session() as session:
        if not no_seal:
            chain.seal(session)
            session.commit()
        report = chain.verify(session, checkpoints)
    typer.echo(f"checked {report.checked} sealed event(s) (seq {report.anchor_seq + 1}..{report.sealed_seq}), "
               f"{report.checkpoints} checkpoint(s); unsealed: {report.unsealed}"
               + (f" (oldest {report.oldest_unsealed_at.isoformat()})" if report.oldest_unsealed_at else ""))
    if report.finding is not None:
        f = report.finding
        typer.echo(f"TAMPERING: {f.kind}: {f.detail}", err=True)
        raise typer.Exit(1)
    typer.echo("audit chain intact")


@audit_app.command("checkpoint")
def export_checkpoint(out: Annotated[Path | None, typer.Option(help="Write to this file (default: stdout).")] = None,
                      ) -> None:
    """Seal, then print a checkpoint of the head signed with TVAERS_AUDIT_CHECKPOINT_KEY; keep it elsewhere."""
    from service.audit import chain

    with _session() as session:
        chain.seal(session)
        session.commit()
        data = json.dumps(chain.checkpoint(session), indent=2) + "\n"
    if out is None:
        typer.echo(data, nl=False)
    else:
        out.write_text(data)
        typer.echo(f"wrote {out}")
