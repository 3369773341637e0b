"""A compact search index split into shards, so a browser downloads only what a query needs.

Terms are folded (lower case, no diacritics: "Zürich" -> "zurich") and hashed into shards
by their first two letters, so every term a prefix of two or more letters can complete is in
one shard. A posting is a document number (delta-coded) and a bit mask of the fields the term
occurs in; the mask is also its weight: name 8, summary 4, team 2, pitch 1. `search.js`
mirrors `fold`, `terms` and `shard_of`.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .state import content_hash

NAME, SUMMARY, TEAM, PITCH = 8, 4, 2, 1
"""Field bits of a posting, which are also their weights in ranking."""

CHUNK = 50
"""Documents per file of display records (`search/d/<k>.json`)."""

_WORD = re.compile(r"[^\W_]{2,}")
_MARKS = re.compile(r"[\u0300-\u036f]")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")

PITCH_CHARS = 20_000
"""How much of a pitch is indexed: enough for any real one, bounded for pasted dumps."""


def fold(text: str) -> str:
    """Lower case without diacritics, as search.js folds a query."""
    return _MARKS.sub("", unicodedata.normalize("NFD", text)).lower().replace("ß", "ss")


def terms(text: str) -> list[str]:
    """The folded words of a text, two letters or more."""
    return _WORD.findall(fold(text))


def shard_count(docs: int) -> int:
    """A power of two growing with the archive: ~40 documents' worth of terms per shard."""
    return 1 << min(8, (docs // 40).bit_length())


def shard_of(term: str, shards: int) -> int:
    """The shard holding `term` and every term sharing its first two letters."""
    return (ord(term[0]) * 31 + ord(term[1])) % shards


@dataclass(frozen=True, slots=True)
class Doc:
    """One project as the index holds it: its terms with field masks, and what a result shows."""

    terms: tuple[str, ...]
    """Its terms, sorted, each one string shared by every document (interned)."""
    bits: bytes
    """The field mask of each term, in the same order: 10,000 documents' masks take a third
    of the memory a dict of each would."""
    stage: int
    """The stage's number on the ladder, for the stage filter."""
    show: tuple[str, str, str, str, str]
    """Name, summary, link, image and team, as a result shows them."""

    @classmethod
    def of(cls, masks: dict[str, int], stage: int, show: tuple[str, str, str, str, str]) -> Doc:
        terms = tuple(sorted(map(sys.intern, masks)))
        return cls(terms, bytes(masks[t] for t in terms), stage, show)

    @property
    def masks(self) -> dict[str, int]:
        return dict(zip(self.terms, self.bits, strict=True))


_ASCII_WORDS = bytes(c | 32 if chr(c).isalnum() and c < 128 else 32 for c in range(256))
"""Lower-cases ASCII letters and digits and blanks everything else: split on blanks,
ASCII text is read into the same terms as by `_WORD`, three times faster."""


def _term_set(text: str) -> set[str]:
    if not text.isascii():
        return set(_WORD.findall(fold(text)))
    words = set(text.encode().translate(_ASCII_WORDS).decode().split())
    return {w for w in words if len(w) > 1}


def make_doc(
    name: str, summary: str, team: str, pitch: str, stage: int, url: str, image: str
) -> Doc:
    """A project's document; its pitch is read as plain words (link targets left out)."""
    if "](" in pitch:
        pitch = _LINK_TARGET.sub("]", pitch)
    masks = dict.fromkeys(_term_set(pitch[:PITCH_CHARS]), PITCH)
    for bit, text in ((TEAM, team), (SUMMARY, summary), (NAME, name)):
        for term in _term_set(text):
            masks[term] = masks.get(term, 0) | bit
    return Doc.of(masks, stage, (name, summary, url, image, team))


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Index:
    """Every file of the index, by path under `search/`, with the digest of each."""

    files: Mapping[str, bytes]
    digests: Mapping[str, str]


Events = Sequence[tuple[str, str, Sequence[Doc]]]
"""`(slug, name, docs)` per event, documents numbered in that order."""

PATCH_MAX = 64
"""Up to this many changed documents, the last index is patched instead of built anew."""


@dataclass(frozen=True, slots=True)
class _Made:
    """An index with what it was made of, for the next build to patch."""

    layout: tuple[tuple[str, str, int], ...]
    stages: tuple[tuple[int, str], ...]
    docs: list[Doc]
    parts: list[dict[str, list[int]]]
    """The postings of each shard, by term in sorted order: document numbers (delta-coded)
    and field masks, interleaved."""
    index: Index


class Indexer:
    """Builds the index; when only a few documents changed since its last build (a pitch
    edited), patches that one: only the shards holding a term whose postings changed are
    encoded again. Either way the files are the same bytes (`build` is the reference)."""

    def __init__(self) -> None:
        self._last: _Made | None = None

    def clear(self) -> None:
        """Forget the last index: the next is made anew."""
        self._last = None

    @property
    def empty(self) -> bool:
        """Whether no index was built yet (or since `clear`)."""
        return self._last is None

    def build(self, events: Events, stages: Iterable[tuple[int, str]]) -> Index:
        layout = tuple((slug, name, len(ds)) for slug, name, ds in events)
        options = tuple(stages)
        docs = [d for _, _, ds in events for d in ds]
        last = self._last
        made = None
        if last is not None and last.layout == layout and last.stages == options:
            pairs = enumerate(zip(last.docs, docs, strict=True))
            changed = [n for n, (a, b) in pairs if a is not b and a != b]
            if len(changed) <= PATCH_MAX:
                made = _patch(last, docs, changed)
        if made is None:
            made = _make(layout, options, docs)
        self._last = made
        return made.index


def build(events: Events, stages: Iterable[tuple[int, str]]) -> Index:
    """The index of `events`, made anew; `stages` are the ladder's (number, label), listed
    for the filter where a project has them."""
    return Indexer().build(events, stages)


def _make(
    layout: tuple[tuple[str, str, int], ...], stages: tuple[tuple[int, str], ...], docs: list[Doc]
) -> _Made:
    shards = shard_count(len(docs))
    postings: dict[str, list[int]] = {}
    last: dict[str, int] = {}
    for n, doc in enumerate(docs):
        for term, mask in zip(doc.terms, doc.bits, strict=True):
            found = postings.get(term)
            if found is None:
                postings[term] = [n, mask]
            else:
                found += (n - last[term], mask)
            last[term] = n
    parts: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for term in sorted(postings):
        parts[shard_of(term, shards)][term] = postings[term]
    files = {f"t/{i}.json": _encode(part) for i, part in enumerate(parts)}
    for k in range(0, max(len(docs), 1), CHUNK):
        files[f"d/{k // CHUNK}.json"] = _encode([d.show for d in docs[k : k + CHUNK]])
    files["meta.json"] = _meta(layout, stages, [d.stage for d in docs])
    digests = {name: content_hash(data) for name, data in files.items()}
    return _Made(layout, stages, docs, parts, Index(files, digests))


def _edits(changed: Iterable[tuple[int, Doc, Doc]]) -> dict[str, dict[int, int]]:
    """The new mask of each (term, document) that `changed` documents (number, old, new)
    changed, by term (0: the document no longer holds the term)."""
    edits: dict[str, dict[int, int]] = {}
    for n, was, now in changed:
        old, new = was.masks, now.masks
        for term in old.keys() | new.keys():
            mask = new.get(term, 0)
            if old.get(term, 0) != mask:
                edits.setdefault(term, {})[n] = mask
    return edits


def _patch(last: _Made, docs: list[Doc], changed: list[int]) -> _Made:
    """`last` with documents `changed` replaced by those of `docs`: each term whose mask
    changed gets its postings decoded, edited and coded again; other terms are shared."""
    edits = _edits((n, last.docs[n], docs[n]) for n in changed)
    parts = list(last.parts)
    touched: set[int] = set()
    for term, edit in edits.items():
        i = shard_of(term, len(parts))
        if i not in touched:
            parts[i] = dict(parts[i])
            touched.add(i)
        _edit(parts[i], term, edit)
    files, digests = dict(last.index.files), dict(last.index.digests)

    def put(name: str, data: bytes) -> None:
        files[name] = data
        digests[name] = content_hash(data)

    for i in touched:
        parts[i] = dict(sorted(parts[i].items()))
        put(f"t/{i}.json", _encode(parts[i]))
    for k in sorted({n // CHUNK for n in changed if docs[n].show != last.docs[n].show}):
        put(f"d/{k}.json", _encode([d.show for d in docs[k * CHUNK : (k + 1) * CHUNK]]))
    if any(docs[n].stage != last.docs[n].stage for n in changed):
        put("meta.json", _meta(last.layout, last.stages, [d.stage for d in docs]))
    return _Made(last.layout, last.stages, docs, parts, Index(files, digests))


def _edit(part: dict[str, list[int]], term: str, edit: dict[int, int]) -> None:
    """Set the masks `edit` gives in a shard's postings of `term` (0 removes a document;
    a term left in no document is removed)."""
    entries = _decode(part.pop(term, ())) | edit
    coded = _code({n: m for n, m in entries.items() if m})
    if coded:
        part[term] = coded


def _decode(coded: Sequence[int]) -> dict[int, int]:
    """Delta-coded postings as {document: mask}, in document order."""
    entries: dict[int, int] = {}
    n = 0
    for i in range(0, len(coded), 2):
        n += coded[i]
        entries[n] = coded[i + 1]
    return entries


def _code(entries: dict[int, int]) -> list[int]:
    """{document: mask} as delta-coded postings."""
    coded: list[int] = []
    last = 0
    for n in sorted(entries):
        coded += (n - last, entries[n])
        last = n
    return coded


def _meta(
    layout: tuple[tuple[str, str, int], ...], stages: tuple[tuple[int, str], ...], stage: list[int]
) -> bytes:
    """`meta.json`: the index's shape, the events' ranges, and each document's stage."""
    present = set(stage)
    return _encode(
        {
            "v": 1,
            "docs": len(stage),
            "shards": shard_count(len(stage)),
            "chunk": CHUNK,
            "events": [list(e) for e in layout],
            "stages": [[n, label] for n, label in stages if n in present],
            "stage": stage,
        }
    )


Read = Callable[[str], bytes | None]
"""A file of the index as the last build published it, by its path under `search/`
(None when it is not there as written)."""


def patch_published(
    read: Read,
    digests: Mapping[str, str],
    layout: tuple[tuple[str, str, int], ...],
    stages: tuple[tuple[int, str], ...],
    changed: Sequence[tuple[int, Doc, Doc]],
    anew: Callable[[], Index],
) -> Index | None:
    """The index the last build published (its files read back through `read`, their
    `digests` as recorded) with the `changed` documents (number, as published, now)
    replaced: only the files they touch are read, edited and encoded again, as `_patch`
    does; the rest are read when a render asks (else `anew` makes the whole index). None
    when the published index has another shape or a file it needs cannot be read."""
    raw = read("meta.json")
    if raw is None or len(changed) > PATCH_MAX:
        return None
    meta = json.loads(raw)
    count = sum(n for _, _, n in layout)
    stage: list[int] = meta.get("stage", [])
    shape = [meta.get(k) for k in ("v", "docs", "shards", "chunk", "events")]
    expected = [1, count, shard_count(count), CHUNK, [list(e) for e in layout]]
    if shape != expected or len(stage) != count:
        return None
    if meta.get("stages") != [[n, label] for n, label in stages if n in set(stage)]:
        return None
    files: dict[str, bytes] = {}
    shards = shard_count(count)
    touched: dict[int, dict[str, list[int]]] = {}
    for term, edit in _edits(changed).items():
        i = shard_of(term, shards)
        if i not in touched:
            data = read(f"t/{i}.json")
            if data is None:
                return None
            touched[i] = json.loads(data)
        _edit(touched[i], term, edit)
    for i, part in touched.items():
        files[f"t/{i}.json"] = _encode(dict(sorted(part.items())))
    shown = {n: now.show for n, was, now in changed if was.show != now.show}
    for k in sorted({n // CHUNK for n in shown}):
        data = read(f"d/{k}.json")
        if data is None:
            return None
        rows = json.loads(data)
        for n in range(k * CHUNK, (k + 1) * CHUNK):
            if n in shown:
                rows[n - k * CHUNK] = shown[n]
        files[f"d/{k}.json"] = _encode(rows)
    if any(was.stage != now.stage for _, was, now in changed):
        for n, _, now in changed:
            stage[n] = now.stage
        files["meta.json"] = _meta(layout, stages, stage)
    made = {name: content_hash(data) for name, data in files.items()}
    return Index(_Published(files, read, anew), {**digests, **made})


class _Published(Mapping[str, bytes]):
    """The files of a patched published index: those it changed, and the others as
    published, read when asked for (or from the index made anew, when one is gone)."""

    def __init__(self, changed: dict[str, bytes], read: Read, anew: Callable[[], Index]) -> None:
        self._changed, self._read, self._anew = changed, read, anew

    def __getitem__(self, name: str) -> bytes:
        found = self._changed.get(name)
        if found is None:
            found = self._read(name)
        if found is None:
            found = self._anew().files[name]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._anew().files)

    def __len__(self) -> int:
        return len(self._anew().files)


def paths(docs: int) -> list[str]:
    """The files an index of `docs` documents is written to, known before it is built."""
    shards = shard_count(docs)
    chunks = max(1, -(-docs // CHUNK))
    return (
        ["meta.json"]
        + [f"t/{i}.json" for i in range(shards)]
        + [f"d/{k}.json" for k in range(chunks)]
    )
