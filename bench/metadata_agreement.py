"""How often the web provider's title, description and image agree with an independent
extractor's expected values, over real saved pages (bench/metadata-corpus/, see its README).

    python bench/metadata_agreement.py [--verbose] [--limit N] [--corpus DIR ...] [--before REV]

By default it runs over both corpora: bench/metadata-corpus/ (articles, postlight/parser)
and bench/structured-corpus/ (JSON-LD, microdata and OpenGraph samples of extruct and
html-metadata). `--before REV` measures `PageMeta` as it was at git revision REV (e.g. the
commit before the JSON-LD, `itemprop` and `image_src` fallbacks) with today's decoding.

Each page is decoded as the provider decodes a fetched `text/html` body, then parsed with
`PageMeta.parse`. Per field, over the pages whose expected value is known:
- exact: equal after decoding entities and collapsing whitespace (images: after resolving
  against the page URL);
- lenient: case-insensitive and one a prefix of the other (a trailing "…" dropped), or word
  overlap of at least 0.8 of the longer; images: same host and path once resolved, scheme and
  query ignored.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from site_builder.sync.http import Fetched
from site_builder.sync.providers.web import PageMeta

ROOT = Path(__file__).parent.parent
CORPORA = (Path(__file__).parent / "metadata-corpus", Path(__file__).parent / "structured-corpus")
WEB = "site_builder/sync/providers/web.py"
FIELDS = ("title", "description", "image")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normal(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(text)).strip()


def text_lenient(expected: str, got: str) -> bool:
    a, b = normal(expected).casefold().rstrip("…").strip(), normal(got).casefold().rstrip("…")
    b = b.strip()
    if not a or not b:
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    words_a, words_b = set(_WORD.findall(a)), set(_WORD.findall(b))
    return len(words_a & words_b) >= 0.8 * max(len(words_a), len(words_b), 1)


def resolved(page_url: str, url: str) -> str:
    return urljoin(page_url, normal(url)) if url.strip() else ""


def image_lenient(page_url: str, expected: str, got: str) -> bool:
    a, b = urlsplit(resolved(page_url, expected)), urlsplit(resolved(page_url, got))
    return bool(got) and (a.netloc.lower(), a.path) == (b.netloc.lower(), b.path)


@dataclass
class Tally:
    pages: int = 0
    exact: int = 0
    lenient: int = 0
    empty: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, name: str, expected: str, got: str, exact: bool, lenient: bool) -> None:
        self.pages += 1
        self.exact += exact
        self.lenient += lenient or exact
        self.empty += not got
        if not exact:
            self.misses.append((name, expected, got))


def compare(page: dict[str, Any], found: PageMeta, tallies: dict[str, Tally]) -> None:
    url = page["url"]
    for name in FIELDS:
        expected = page.get(name)
        if not expected:
            continue  # the extractor found nothing: not a statement about the page
        got = str(getattr(found, name))
        if name == "image":
            exact = bool(got) and resolved(url, expected) == resolved(url, got)
            lenient = image_lenient(url, expected, got)
        else:
            exact = normal(expected) == normal(got)
            lenient = text_lenient(expected, got)
        tallies[name].add(page["file"], expected, got, exact, lenient)


def parse(page: dict[str, Any], corpus: Path, reader: type[PageMeta] = PageMeta) -> PageMeta:
    body = gzip.decompress((corpus / page["file"]).read_bytes())
    text = Fetched(page["url"], page["url"], body, "text/html").text()
    return reader.parse(text, page["url"])


def page_meta_at(rev: str) -> type[PageMeta]:
    """`PageMeta` as web.py defined it at git revision `rev`."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{WEB}"], capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType("site_builder.sync.providers._web_at_" + rev.replace("^", "_"))
    module.__package__ = "site_builder.sync.providers"
    sys.modules[module.__name__] = module
    exec(compile(source, f"{rev}:{WEB}", "exec"), module.__dict__)
    reader: type[PageMeta] = module.PageMeta
    return reader


def measure(corpus: Path, limit: int, reader: type[PageMeta], verbose: bool) -> None:
    manifest = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    pages = manifest["pages"][: limit or None]
    tallies = {name: Tally() for name in FIELDS}
    for page in pages:
        compare(page, parse(page, corpus, reader), tallies)

    sources = manifest.get("sources") or [manifest]
    names = " + ".join(f"{s['repository']}@{s['commit'][:12]}" for s in sources)
    print(f"{len(pages)} pages, expected values from {names}")
    print(f"{'field':<12} {'pages':>5} {'exact':>7} {'lenient':>7} {'empty':>6}")
    for name, t in tallies.items():
        print(
            f"{name:<12} {t.pages:>5} {percent(t.exact, t.pages):>7} "
            f"{percent(t.lenient, t.pages):>7} {t.empty:>6}"
        )
    if verbose:
        for name, t in tallies.items():
            print(f"\n{name}: {len(t.misses)} not exact")
            for file, expected, got in t.misses:
                print(f"  {file}\n    expected {expected[:160]!r}\n    got      {got[:160]!r}")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list the pages that disagree")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--corpus", type=Path, action="append", help="default: both corpora")
    parser.add_argument("--before", metavar="REV", help="measure web.py as of git revision REV")
    args = parser.parse_args(argv)

    reader = page_meta_at(args.before) if args.before else PageMeta
    for n, corpus in enumerate(args.corpus or CORPORA):
        if n:
            print()
        measure(corpus, args.limit, reader, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
