"""Who may use the console: organisers only. Anonymous visitors are sent to the sign-in
page, members get a readable 403 page, and cookie posts need the session's CSRF token."""

from __future__ import annotations

from site_builder.services.editor import Editor

from .pages import CONSOLE


def _refusal(editor: Editor) -> str | None:
    if editor.is_organiser:
        return None
    return f"You are signed in as {editor.user}, a member: only organisers may use the console."


console_gate = CONSOLE.gate(_refusal)
