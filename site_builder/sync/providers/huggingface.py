"""Hugging Face Hub: models, datasets and spaces. The model card's YAML front matter is
stripped from the README; its licence and tags are kept as a closing line. The API gives
a summary only for spaces (`short_description`); otherwise the card's first paragraph is
the summary."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import SplitResult, quote

import yaml

from ..readme import first_paragraph
from .base import (
    Json,
    Metadata,
    Provider,
    Readme,
    RemoteActivity,
    Target,
    Window,
    first_line,
    readme_note,
)

_KINDS = {"datasets": "datasets", "spaces": "spaces"}
_RESERVED = frozenset(
    [
        "api",
        "blog",
        "chat",
        "collections",
        "docs",
        "join",
        "learn",
        "login",
        "models",
        "organizations",
        "papers",
        "posts",
        "pricing",
        "settings",
        "tasks",
    ]
)
_VIEWS = frozenset({"tree", "blob", "resolve", "raw", "commit", "commits", "discussions"})
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)---[ \t]*(?:\r?\n|\Z)", re.S)


class HuggingFace(Provider):
    kind = "huggingface"
    hosts: ClassVar[dict[str, str]] = {
        "huggingface.co": "https://huggingface.co",
        "hf.co": "https://huggingface.co",
    }
    token_env = "HF_TOKEN"

    def target(self, url: SplitResult) -> Target | None:
        parts = [p for p in url.path.split("/") if p]
        prefix = ""
        if parts and parts[0] in _KINDS:
            prefix = parts.pop(0) + "/"
        for i, part in enumerate(parts):
            if part in _VIEWS:
                parts = parts[:i]
                break
        if not parts or len(parts) > 2 or parts[0].lower() in _RESERVED:
            return None
        if prefix and len(parts) != 2:
            return None
        path = prefix + "/".join(parts)
        return Target(url.geturl(), self.host, path, f"https://huggingface.co/{path}")

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        """('models' | 'datasets' | 'spaces', repo id) of a target path."""
        head, _, rest = path.partition("/")
        if head in _KINDS:
            return head, rest
        return "models", path

    async def metadata(self, target: Target) -> Metadata:
        kind, repo_id = self._split(target.path)
        fetched = await self.fetch(f"{self.api}/api/{kind}/{quote(repo_id)}")
        info = Json(fetched.json(), fetched.final_url)
        new_id = info.text("id") or info.text("modelId") or repo_id
        prefix = "" if kind == "models" else f"{kind}/"
        card = info.obj("cardData")
        license_ = card.text("license") if card.has("license") else ""
        if not license_:
            license_ = next(
                (t.split(":", 1)[1] for t in info.texts("tags") if t.startswith("license:")), ""
            )
        return Metadata(
            web_url=f"https://huggingface.co/{prefix}{new_id}",
            renamed=fetched.redirected and new_id.lower() != repo_id.lower(),
            name=new_id.rsplit("/", 1)[-1],
            summary=card.text("short_description") if card.has("short_description") else "",
            license=license_,
            tags=_card_tags(card),
            branch="main",
            api_id=f"{prefix}{new_id}",
            not_modified=fetched.not_modified,
        )

    async def readme(self, target: Target, meta: Metadata) -> Readme | None:
        url = f"{self.api}/{quote(meta.api_id)}/resolve/main/README.md"
        fetched = await self.optional_text(url, meta, accept="text/plain, text/markdown, */*")
        if fetched is None:
            return None
        text, card = strip_front_matter(fetched.text())
        summary = "" if meta.summary else first_paragraph(text)
        license_ = str(card.get("license") or meta.license or "")
        tags = _tags(card.get("tags")) or meta.tags
        facts = []
        if license_:
            facts.append(f"**Licence:** {license_}")
        if tags:
            facts.append("**Tags:** " + ", ".join(tags))
        if facts:
            text = text.rstrip("\n") + "\n\n" + " · ".join(facts) + "\n"
        base = f"https://huggingface.co/{meta.api_id}"
        return Readme(
            text,
            f"{base}/blob/main/",
            f"{base}/resolve/main/",
            summary=summary,
            note=readme_note(fetched, self.http.options.max_body),
        )

    async def activity(
        self, target: Target, meta: Metadata, window: Window
    ) -> list[RemoteActivity]:
        kind, repo_id = self._split(meta.api_id)
        url = f"{self.api}/api/{kind}/{quote(repo_id)}/commits/main"
        commits = await self.optional_json(url, meta)
        out: list[RemoteActivity] = []
        for item in commits.items() if commits else []:
            when = item.date("date")
            sha = item.text("id")
            if when is None or not sha or not window.contains(when):
                continue
            authors = [a.text("user") for a in item.items("authors")]
            text = first_line(item.text("title") or item.text("message"))
            link = f"{meta.web_url}/commit/{sha}"
            author = ", ".join(a for a in authors if a)
            out.append(RemoteActivity("commit", sha, when, text, link, author))
        return out


def strip_front_matter(text: str) -> tuple[str, dict[str, Any]]:
    """The Markdown without its leading `---` YAML block, and that block's settings."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        data = None
    return text[match.end() :].lstrip("\n"), data if isinstance(data, dict) else {}


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float))
    return ()


def _card_tags(card: Json) -> tuple[str, ...]:
    value = card.value.get("tags") if isinstance(card.value, dict) else None
    return _tags(value)


PROVIDER = HuggingFace
