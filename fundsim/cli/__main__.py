"""``python -m fundsim.cli``: the same as the ``fundsim`` command."""

from fundsim.cli import app

app()
