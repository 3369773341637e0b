"""`python -m site_builder.cli`: the `jamdat` command without its console script."""

from . import run

run()
