"""The edit API: a thin Litestar app that calls the same services as the CLI."""
