"""Rebuilds bench/metadata-corpus/ from a clone of postlight/parser: its real saved pages
(`fixtures/*.html`) and the title, dek and lead image its custom extractor tests expect.

    python bench/metadata_corpus_build.py PATH/TO/postlight-parser [--commit SHA]

PATH may be a work tree or a bare git directory; pages are read at the given commit (HEAD by
default) so that expected.json names exactly what was used.

Mercury saved its fixtures after its own preprocessing: scripts removed, and every `<meta>`
`content` attribute renamed `value` (and `property` renamed `name`). The first rename hides
every meta tag from any other reader, so it is undone here; the rest is kept as saved.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
from pathlib import Path
from typing import Any

REPOSITORY = "postlight/parser"
CORPUS = Path(__file__).parent / "metadata-corpus"
_READ = re.compile(r"readFileSync\(\s*['\"]\./fixtures/([^'\"]+)['\"]")
_URL = re.compile(r"\burl\s*=")
_PLUS = re.compile(r"\s*\+")
# The extractor's field and the name the benchmark gives it.
_META = re.compile(
    rb"""<meta(?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*/?>""", re.I
)
_VALUE = re.compile(rb"""(\s)value(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))""", re.I)
_CONTENT = re.compile(rb"""\scontent\s*=""", re.I)
FIELDS = {"title": "title", "dek": "description", "lead_image_url": "image"}


def js_string(src: str, i: int) -> tuple[str | None, int] | None:
    """The value of a JS string expression (`'a' + "b" + \\`c\\``, or `null`) at src[i:],
    and where it ends; None when it is anything else (a variable, a template with ${})."""
    parts: list[str] = []
    while True:
        while i < len(src) and src[i].isspace():
            i += 1
        if not parts and src.startswith("null", i):
            return None, i + 4
        if i >= len(src) or src[i] not in "'\"`":
            return None
        quote, i, chars = src[i], i + 1, []
        while src[i] != quote:
            if src[i] == "\\":
                nxt = src[i + 1]
                if nxt == "u":
                    chars.append(chr(int(src[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                if nxt != "\n":
                    chars.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            if quote == "`" and src.startswith("${", i):
                return None
            chars.append(src[i])
            i += 1
        parts.append("".join(chars))
        plus = _PLUS.match(src, i + 1)
        if plus is None:
            return "".join(parts), i + 1
        i = plus.end()


def restore_meta(html: bytes) -> tuple[bytes, int]:
    """`<meta value=...>` back to `<meta content=...>` where there is no `content`; and how many."""
    count = 0

    def fix(tag: re.Match[bytes]) -> bytes:
        nonlocal count
        text = tag.group(0)
        if _CONTENT.search(text) or not _VALUE.search(text):
            return text
        count += 1
        return _VALUE.sub(rb"\1content\2", text, count=1)

    return _META.sub(fix, html), count


def cases(test_file: str, src: str) -> list[dict[str, Any]]:
    """One case per fixture a test file reads: the page's URL and the literal expectations."""
    reads = [(m.start(), m.group(1)) for m in _READ.finditer(src)]
    found = []
    for k, (at, fixture) in enumerate(reads):
        start = reads[k - 1][0] if k else 0
        end = reads[k + 1][0] if k + 1 < len(reads) else len(src)
        url = None
        for m in _URL.finditer(src, start, end):
            value = js_string(src, m.end())
            if value and value[0]:
                url = value[0]
                if m.start() > at:
                    break
        expected: dict[str, Any] = {}
        for field, name in FIELDS.items():
            assertion = re.compile(r"assert\.(?:equal|strictEqual)\(\s*" + field + r"\s*,")
            for m in assertion.finditer(src, at, end):
                value = js_string(src, m.end())
                if value is not None:
                    expected[name] = value[0]
                    break
        if url and expected.get("title"):
            found.append(
                {
                    "fixture": f"fixtures/{fixture}",
                    "test": test_file,
                    "url": url,
                    **{name: expected.get(name) for name in FIELDS.values()},
                }
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--commit", default="HEAD")
    args = parser.parse_args()

    def git(*argv: str) -> bytes:
        return subprocess.check_output(["git", "-C", str(args.repo), *argv])

    commit = git("rev-parse", args.commit).decode().strip()
    tests = [
        name
        for name in git("ls-tree", "-r", "--name-only", commit, "src/extractors/custom")
        .decode()
        .split()
        if name.endswith("index.test.js")
    ]
    pages = []
    CORPUS.mkdir(exist_ok=True)
    for test in tests:
        for case in cases(test, git("show", f"{commit}:{test}").decode()):
            name = Path(case["fixture"]).name + ".gz"
            html, restored = restore_meta(git("show", f"{commit}:{case['fixture']}"))
            (CORPUS / name).write_bytes(gzip.compress(html, 9, mtime=0))
            pages.append({"file": name, "meta_content_restored": restored, **case})
    manifest = {
        "repository": REPOSITORY,
        "commit": commit,
        "changes": "<meta value=...> renamed back to content= (Mercury's preprocessing); "
        "scripts (so JSON-LD) were already removed upstream",
        "fields": "title <- title, description <- dek (null: not measured), image <- "
        "lead_image_url (null: not measured)",
        "pages": pages,
    }
    (CORPUS / "expected.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"{len(pages)} pages from {REPOSITORY}@{commit[:12]}")


if __name__ == "__main__":
    main()
