"""Each chat service's webhook body for an event.

Slack and Mattermost incoming webhooks take `text` (Slack also `blocks`, Mattermost
Markdown); Discord takes `content` and `embeds`; Microsoft Teams, since Office 365
connectors were retired, receives through a Workflows webhook that takes a message
with one Adaptive Card attachment; the generic webhook gets `Event.data()`.
"""

from __future__ import annotations

from typing import Any

from .event import Event
from .settings import Kind

_SLACK_TEXT = 3000
"""Slack's limit for a section block's text."""
_DISCORD_DESCRIPTION = 4096
_DISCORD_CONTENT = 2000
_COLOURS = {"build_failed": 0xD73A49, "sync_failed": 0xE36209}
"""Discord embed colours: red for failures, orange for syncs, else blue."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(event: Event) -> str:
    """Title, link, facts and text as one Markdown message (Slack's mrkdwn is close enough)."""
    lines = [f"*{event.title}*" if event.title else ""]
    if event.url:
        lines.append(event.url)
    lines.extend(f"{name}: {value}" for name, value in event.facts)
    if event.text:
        lines.append(event.text)
    return "\n".join(line for line in lines if line)


def slack(event: Event) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(event.title, 150)}}
    ]
    if event.text:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(event.text, _SLACK_TEXT)}}
        )
    if event.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in event.facts
                ][:10],
            }
        )
    if event.url:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{event.url}>"}]}
        )
    return {"text": _cut(_plain(event), _SLACK_TEXT), "blocks": blocks}


def mattermost(event: Event) -> dict[str, Any]:
    rest = _plain(event).split("\n", 1)[1:] if event.title else [_plain(event)]
    return {"text": "\n".join([f"#### {event.title}", *rest])}


def discord(event: Event) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": _cut(event.title, 256),
        "description": _cut(event.text, _DISCORD_DESCRIPTION),
        "color": _COLOURS.get(event.kind, 0x0366D6),
        "timestamp": event.time.isoformat(),
        "fields": [
            {"name": _cut(name, 256), "value": _cut(value, 1024) or "-", "inline": True}
            for name, value in event.facts
        ][:25],
    }
    if event.url:
        embed["url"] = event.url
    return {
        "content": _cut(event.title, _DISCORD_CONTENT),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def teams(event: Event) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": event.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if event.text:
        body.append({"type": "TextBlock", "text": event.text, "wrap": True})
    if event.facts:
        body.append(
            {"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in event.facts]}
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if event.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": event.url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def payload(kind: Kind, event: Event) -> dict[str, Any]:
    """The body a webhook of `kind` expects."""
    if kind == "slack":
        return slack(event)
    if kind == "mattermost":
        return mattermost(event)
    if kind == "discord":
        return discord(event)
    if kind == "teams":
        return teams(event)
    return event.data()
