"""Rendering: Markdown, templates, the page plan and the incremental build engine."""
