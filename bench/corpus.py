"""A synthetic archive for benchmarks: many events, many projects, realistic ~3 kB pitches."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from site_builder import archive
from site_builder.config import SiteConfig
from site_builder.model import Activity, Category, Event, Project

_VOCABULARY = (
    "data open api map city climate energy health archive museum library graph model "
    "sensor river school transit budget vote language speech image search label dataset "
    "pipeline dashboard notebook prototype volunteer community history heritage forest "
    "water air noise bike street census election parliament wiki translation accessible"
)
WORDS = _VOCABULARY.split(" ")
LANGS = ("python", "javascript", "bash", "sql", "json")


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _sentence(rng: random.Random) -> str:
    text = _words(rng, rng.randint(8, 20))
    if rng.random() < 0.3:
        text += f" see [{rng.choice(WORDS)}](https://example.org/{rng.choice(WORDS)})"
    if rng.random() < 0.2:
        text += f" with `{rng.choice(WORDS)}()` and **{rng.choice(WORDS)}**"
    return text[0].upper() + text[1:] + "."


def pitch(rng: random.Random, target: int = 3000) -> str:
    """A Markdown pitch: headings, paragraphs, lists, code, tables, links and images."""
    parts: list[str] = [f"# {_words(rng, 3).title()}", " ".join(_sentence(rng) for _ in range(3))]
    while sum(len(p) for p in parts) < target:
        kind = rng.random()
        if kind < 0.25:
            parts.append(f"## {_words(rng, rng.randint(2, 4)).title()}")
            parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
        elif kind < 0.45:
            marker = "-" if rng.random() < 0.6 else "1."
            parts.append("\n".join(f"{marker} {_sentence(rng)}" for _ in range(rng.randint(3, 6))))
        elif kind < 0.6:
            lang = rng.choice(LANGS)
            body = "\n".join(
                f"{rng.choice(WORDS)} = {rng.choice(WORDS)}({rng.randint(0, 99)})"
                for _ in range(rng.randint(3, 8))
            )
            parts.append(f"```{lang}\n{body}\n```")
        elif kind < 0.72:
            cols = rng.randint(2, 4)
            head = "| " + " | ".join(rng.choice(WORDS) for _ in range(cols)) + " |"
            rule = "|" + "---|" * cols
            rows = [
                "| " + " | ".join(str(rng.randint(0, 999)) for _ in range(cols)) + " |"
                for _ in range(rng.randint(2, 5))
            ]
            parts.append("\n".join([head, rule, *rows]))
        elif kind < 0.8:
            name = rng.choice(WORDS)
            parts.append(f"![{name} screenshot](https://example.org/img/{name}.png)")
        elif kind < 0.87:
            parts.append("> " + _sentence(rng))
        else:
            parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))))
    return "\n\n".join(parts)


def generate(content: Path, events: int, projects: int, seed: int = 7) -> None:
    """Write an archive of `events` events with `projects` projects each into `content`."""
    rng = random.Random(seed)
    site = archive.new_site(SiteConfig(title="Benchmark archive", base_url="/"))
    start = datetime(2015, 1, 10, 9, 0)
    for e in range(events):
        slug = f"event-{e:04d}"
        begins = start + timedelta(days=30 * e)
        site.events[slug] = Event(
            slug=slug,
            name=f"Hackathon {e} {_words(rng, 2).title()}",
            starts_at=begins,
            ends_at=begins + timedelta(days=2),
            summary=_sentence(rng),
            timezone="Europe/Zurich",
            location=f"{rng.choice(WORDS).title()} Hall",
            description=pitch(rng, 1500),
        )
        for c in range(3):
            site.categories[(slug, f"track-{c}")] = Category(slug, f"track-{c}", f"Track {c}")
        for p in range(projects):
            pslug = f"project-{p:04d}"
            site.projects[(slug, pslug)] = Project(
                event=slug,
                slug=pslug,
                name=f"{_words(rng, 2).title()} {p}",
                summary=_sentence(rng),
                category=f"track-{p % 3}",
                progress=rng.choice((5, 10, 20, 30, 40, 50)),
                team=", ".join(f"user{rng.randint(0, 999)}" for _ in range(rng.randint(1, 4))),
                source_url=f"https://github.com/example/{slug}-{pslug}",
                pitch=pitch(rng),
            )
            if p % 10 == 0:
                aid = f"{slug}-{pslug}-1"
                site.activities[aid] = Activity(
                    id=aid,
                    event=slug,
                    project=pslug,
                    date=begins + timedelta(hours=p % 48),
                    name="update",
                    action="post",
                    content=_sentence(rng),
                )
    archive.save(content, site, read=archive.snapshot(content))
