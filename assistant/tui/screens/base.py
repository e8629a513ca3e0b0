"""What every full screen of the app shares."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..messages import WorkerFailed


class AppScreen(Screen[None]):
    """A screen whose workers' errors go to the app's one error handler (as a message)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerFailed(event.worker.error))
