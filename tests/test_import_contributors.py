"""Contributors of Dribdat's packages reach site.yaml, once each, and go back out with
`jamdat export`; their e-mail is never published on the site."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import Cli, tree_digest

DRIBDAT = Path(__file__).parent / "fixtures" / "dribdat"
MULTILINGUAL = DRIBDAT / "2021-multilingual-media.v0.1.0.datapackage.json"
GLAMHACK = DRIBDAT / "2023-glamhack.datapackage.json"
AWESOME = DRIBDAT / "meta-dribdat-awesome-hackathon.datapackage.json"
LOLEG = {"title": "loleg", "path": "https://github.com/loleg", "role": "author"}
ANNA = {"title": "Anna", "email": "anna@example.org", "role": "contributor",
        "organization": "Opendata.ch"}  # fmt: skip


def with_anna(tmp_path: Path) -> Path:
    """The real GLAMhack package with a second contributor who gives an e-mail."""
    doc = json.loads(GLAMHACK.read_text(encoding="utf-8"))
    doc["contributors"].append(ANNA)
    path = tmp_path / "glam.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_contributors_are_merged_once_each_in_order(cli: Cli, tmp_path: Path) -> None:
    content = tmp_path / "c"
    paths = [MULTILINGUAL, with_anna(tmp_path), AWESOME]
    result = cli("import", "--timezone", "UTC", "--content", content, *paths)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((content / "site.yaml").read_text(encoding="utf-8"))
    # GLAMhack's "loleg" (no link) and Awesome's (same link) are MULTILINGUAL's loleg.
    assert config["contributors"] == [LOLEG, ANNA]
    again = cli("import", "--timezone", "UTC", "--content", content, *reversed(paths))
    assert "no files changed" in again.output, again.output


def test_exports_carry_them_back_and_pages_never_show_the_email(cli: Cli, tmp_path: Path) -> None:
    content, out = tmp_path / "c", tmp_path / "out"
    assert (
        cli("import", "--timezone", "UTC", "--content", content, with_anna(tmp_path)).exit_code == 0
    )
    result = cli("export", "--content", content, "--out", out)
    assert result.exit_code == 0, result.output
    (package,) = out.glob("*.datapackage.json")
    assert json.loads(package.read_text(encoding="utf-8"))["contributors"] == [
        {"title": "loleg", "role": "author"},
        ANNA,
    ]
    again = tmp_path / "again"
    assert cli("import", "--timezone", "UTC", "--content", again, package).exit_code == 0
    assert tree_digest(again) == tree_digest(content)

    public = tmp_path / "public"
    built = cli("build", "--content", content, "--out", public)
    assert built.exit_code == 0, built.output
    published = [p for p in public.rglob("*") if p.is_file()]
    assert any(b"Opendata.ch" in p.read_bytes() for p in published)
    assert not [p for p in published if b"anna@example.org" in p.read_bytes()]
