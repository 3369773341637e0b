"""`python -m site_builder.cli`: the `jamdat` command without its console script."""

from .main import main

main()
