"""Progress bars for long-running CLI commands (rich, on standard error so standard output stays a result)."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

Start = Callable[[str, int], Callable[[int], None]]


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Start]:
    """Yields `start(what, total) -> advance(n)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), disable=not enabled) as bars:
        def start(what: str, total: int) -> Callable[[int], None]:
            task = bars.add_task(what, total=total)
            return lambda n: bars.advance(task, n)

        yield start


def in_batches(open_session: Callable[[], AbstractContextManager[Any]], step: Callable[[Any], int], size: int,
               advance: Callable[[int], None]) -> None:
    """Run `step(session)` — which handles at most `size` rows and returns how many it looked at — each time in
    its own committed transaction, until a batch comes back short. An interruption loses at most one batch."""
    while True:
        with open_session() as session:
            seen = step(session)
            session.commit()
        advance(seen)
        if seen < size:
            return
