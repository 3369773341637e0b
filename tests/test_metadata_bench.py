"""The metadata agreement benchmark still runs on its corpus and prints its table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent.parent / "bench" / "metadata_agreement.py"


def test_agreement_table_on_three_pages() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--limit", "3", "--verbose"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("3 pages, expected values from postlight/parser@")
    rows = {
        m.group(1): (int(m.group(2)), m.group(3))
        for m in re.finditer(r"^(title|description|image) +(\d+) +([\d.]+%|-)", done.stdout, re.M)
    }
    assert rows.keys() == {"title", "description", "image"}
    assert rows["title"][0] == 3
    assert rows["title"][1] != "-"


def test_structured_corpus_before_the_fallbacks_finds_less() -> None:
    """The JSON-LD/microdata corpus runs, also against web.py before its fallbacks."""
    corpus = BENCH.parent / "structured-corpus"
    tables = []
    for extra in ([], ["--before", "ee8eda7^"]):
        done = subprocess.run(
            [sys.executable, str(BENCH), "--corpus", str(corpus), *extra],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "scrapinghub/extruct@" in done.stdout
        empty = re.search(r"^image +\d+ +\S+ +\S+ +(\d+)", done.stdout, re.M)
        assert empty is not None
        tables.append(int(empty.group(1)))
    after, before = tables
    assert after < before
