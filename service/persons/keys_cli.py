"""`tvaers keys …`: check the key ring against the stored data, rotate to the current key."""

from typing import Annotated

import typer

keys_app = typer.Typer(help="Encryption and look-up-hash keys (the key ring).", no_args_is_help=True)


def _open():  # type: ignore[no-untyped-def]
    import service.persons.documents  # noqa: F401
    from service.core.db import new_session

    return new_session()


def refuse_unreadable_keys() -> None:
    """Exit 2 with a message naming the key id when the ring cannot read the stored data."""
    from service.persons.keys import KeyRingError, check_keys

    try:
        with _open() as session:
            check_keys(session)
    except KeyRingError as exc:
        typer.echo(f"refusing: {exc}", err=True)
        raise typer.Exit(2) from exc


@keys_app.command("check")
def check() -> None:
    """Every key id used by stored data is in the ring and decrypts and re-hashes a sample of its data."""
    from service.persons import keys

    refuse_unreadable_keys()
    with _open() as session:
        used, left = keys.check_keys(session), keys.remaining(session)
    typer.echo(f"key ring fits the data; key ids in use: {', '.join(used) or 'none'}; "
               f"current: {keys.keyring.current_key_id()}; not yet under the current key: {left}")


@keys_app.command("rotate")
def rotate(batch_size: Annotated[int, typer.Option(
        min=1, max=10000, help="Rows re-encrypted and re-hashed per transaction.")] = 500,
           progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True) -> None:
    """Re-encrypt and re-hash every CPR number, consent document and webhook secret under TVAERS_CURRENT_KEY_ID.
    Interrupted, run it again: it carries on where it stopped."""
    from service.core.progress import progress_bars
    from service.persons.keys import rotate as run

    refuse_unreadable_keys()
    with progress_bars(progress) as bars:
        result = run(_open, batch_size=batch_size, progress=bars)
    typer.echo(f"rotated {result.persons} CPR number(s), {result.documents} document(s) and "
               f"{result.webhook_secrets} webhook secret pair(s) to key {result.key_id}; "
               f"remaining under older keys: {result.remaining}")
