"""Builds a held-out corpus from metascraper's integration tests (`packages/metascraper/
test/integration/<site>/input.html` and the title, description, image and url of its AVA
snapshot). It is kept out of the repository and out of tuning: run the benchmark on it
only to check a result.

    python bench/metascraper_corpus_build.py PATH/TO/metascraper --out /tmp/metascraper-corpus
    python bench/metadata_agreement.py --corpus /tmp/metascraper-corpus
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
from pathlib import Path

ROOT = "packages/metascraper/test/integration"
_FIELD = re.compile(r"^ {6}(title|description|image|url): (.*),$", re.M)


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def js_value(text: str) -> str | None:
    """A one-line JS string literal of an AVA snapshot; None for `null` or anything else."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'`\"":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    commit = git(args.repo, "rev-parse", "HEAD").decode().strip()
    files = git(args.repo, "ls-tree", "-r", "--name-only", "HEAD", ROOT).decode().splitlines()
    pages: list[dict[str, str | None]] = []
    for path in sorted(f for f in files if f.endswith("/input.html")):
        site = path.split("/")[-2]
        snapshot = f"{ROOT}/{site}/snapshots/index.js.md"
        if snapshot not in files:
            continue
        values = {
            m.group(1): js_value(m.group(2))
            for m in _FIELD.finditer(git(args.repo, "show", f"HEAD:{snapshot}").decode())
        }
        if not values.get("url"):
            continue
        file = f"{site}.html.gz"
        (args.out / file).write_bytes(gzip.compress(git(args.repo, "show", f"HEAD:{path}")))
        pages.append(
            {"file": file, **{k: values.get(k) for k in ("url", "title", "description", "image")}}
        )
    manifest = {"repository": "microlinkhq/metascraper", "commit": commit, "pages": pages}
    (args.out / "expected.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    print(f"{len(pages)} pages in {args.out}")


if __name__ == "__main__":
    main()
