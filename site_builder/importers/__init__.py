"""Importers bring other platforms' exports into `content/` through the store."""
