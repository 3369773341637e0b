"""Builds bench/structured-corpus/: pages with JSON-LD, microdata and OpenGraph from the
test samples of scrapinghub/extruct (`tests/samples/**.html` with the `.json`/`.jsonld`
it expects) and wikimedia/html-metadata (`test/static/*.html` with its `.json`).

    python bench/structured_corpus_build.py EXTRUCT_GIT HTML_METADATA_GIT

Each argument is a work tree or bare git directory, read at HEAD. Neither project names
a link preview, so the expected values are taken from what each extracted, in this order:
title from `og:title`, then the main item's `headline`, then its `name` (html-metadata:
OpenGraph, then `<title>`); description from `og:description`, then the item's
`description`; image from `og:image`, then the item's `image`. The main item is the
first top-level one that has the field: extruct's output has no notion of the page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

CORPUS = Path(__file__).parent / "structured-corpus"
SCHEMA = ("http://schema.org/", "https://schema.org/")
OGP = "http://ogp.me/ns#"


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def unwrap(value: Any) -> str:
    """A plain string of an extracted value: JSON-LD `@value`/`@id`, an object's `url`,
    a list's first entry."""
    for _ in range(4):
        if isinstance(value, list):
            value = value[0] if value else None
        elif isinstance(value, dict):
            value = next(
                (value[k] for k in ("@value", "url", "contentUrl", "@id") if k in value), None
            )
            if value is None:
                return ""
        else:
            break
    return value.strip() if isinstance(value, str) else ""


def prop(item: dict[str, Any], key: str) -> str:
    """`key` of a JSON-LD object (compact or expanded) or a microdata item."""
    for holder in (item, item.get("properties")):
        if not isinstance(holder, dict):
            continue
        for name in (key, *(s + key for s in SCHEMA)):
            if name in holder:
                found = unwrap(holder[name])
                if found:
                    return found
    return ""


def opengraph(data: Any) -> dict[str, str]:
    """extruct's OpenGraph output (`namespace` + `properties` pairs) as a dict."""
    out: dict[str, str] = {}
    for block in data if isinstance(data, list) else []:
        if not isinstance(block, dict):
            continue
        pairs = block.get("properties")
        if isinstance(pairs, list):
            for pair in pairs:
                if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str):
                    out.setdefault(pair[0], pair[1].strip())
        for key, value in block.items():
            if key.startswith(OGP):
                out.setdefault("og:" + key[len(OGP) :], unwrap(value))
            elif key.startswith("og:") and isinstance(value, str):
                out.setdefault(key, value.strip())
    return out


def items(data: Any) -> list[dict[str, Any]]:
    """The top-level items of a JSON-LD or microdata output, `@graph`s opened."""
    out: list[dict[str, Any]] = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            out.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                out.extend(g for g in graph if isinstance(g, dict))
    return out


def from_extruct(data: Any) -> dict[str, str]:
    syntaxes = data if isinstance(data, dict) and "json-ld" in data else {}
    og = opengraph(syntaxes.get("opengraph", data))
    structured = items(syntaxes.get("json-ld", [])) + items(syntaxes.get("microdata", []))
    if not syntaxes:
        structured = items(data)

    def first(key: str) -> str:
        return next((v for v in (prop(i, key) for i in structured) if v), "")

    return {
        "title": og.get("og:title") or first("headline") or first("name"),
        "description": og.get("og:description") or first("description"),
        "image": og.get("og:image") or first("image"),
    }


def from_html_metadata(data: dict[str, Any]) -> dict[str, str]:
    og, general = data.get("openGraph") or {}, data.get("general") or {}
    return {
        "title": unwrap(og.get("title")) or unwrap(general.get("title")),
        "description": unwrap(og.get("description")) or unwrap(general.get("description")),
        "image": unwrap(og.get("image")),
    }


def build(extruct: Path, wikimedia: Path, out: Path) -> dict[str, Any]:
    pages: list[dict[str, Any]] = []
    sources = []
    for repo, name, folder in (
        (extruct, "scrapinghub/extruct", "tests/samples"),
        (wikimedia, "wikimedia/html-metadata", "test/static"),
    ):
        commit = git(repo, "rev-parse", "HEAD").decode().strip()
        sources.append({"repository": name, "commit": commit})
        files = git(repo, "ls-tree", "-r", "--name-only", "-z", "HEAD", folder).split(b"\0")
        paths = {f.decode() for f in files if f}
        for path in sorted(p for p in paths if p.endswith(".html")):
            stem = path[: -len(".html")]
            wanted = [s for s in (stem + ".json", stem + ".jsonld") if s in paths]
            if not wanted:
                continue
            data = json.loads(git(repo, "show", f"HEAD:{wanted[0]}"))
            values = from_extruct(data) if name.endswith("extruct") else from_html_metadata(data)
            if not any(values.values()):
                continue
            pure = PurePosixPath(path)
            file = f"{name.split('/')[1]}--{pure.parent.name}--{pure.stem}.html.gz".replace(
                " ", "_"
            )
            (out / file).write_bytes(gzip.compress(git(repo, "show", f"HEAD:{path}"), mtime=0))
            url = f"http://example.com/{pure.name.replace(' ', '%20')}"
            pages.append(
                {"file": file, "url": url, "source": f"{name}:{path}", "expected": wanted[0]}
                | {k: v or None for k, v in values.items()}
            )
    return {
        "repository": " + ".join(s["repository"] for s in sources),
        "sources": sources,
        "commit": sources[0]["commit"],
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("extruct", type=Path)
    parser.add_argument("html_metadata", type=Path)
    parser.add_argument("--out", type=Path, default=CORPUS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.html.gz"):
        old.unlink()
    manifest = build(args.extruct, args.html_metadata, args.out)
    text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    (args.out / "expected.json").write_text(text, encoding="utf-8")
    print(f"{len(manifest['pages'])} pages in {args.out}")


if __name__ == "__main__":
    main()
