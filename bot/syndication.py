"""The same story or the same quote seen again. Pure (no DB, no clock).

- Syndicated copies: a wire story reprinted by many feeds with small edits. Each item's text
  (title and body, folded and lower-cased) is cut into overlapping word shingles and summarised
  by a MinHash signature (datasketch, fixed seed and size, so signatures from every process and
  every run compare); `SyndicationIndex` is an LSH index over the signatures of recent items
  that finds an earlier item whose estimated Jaccard similarity reaches the threshold.
- Re-reported quotes: `quote_key` hashes the normalised words of a quote, so the same words by
  the same speaker seen again later are recognised as the same statement.
- Independent sources: `same_site` tells whether two URLs come from one publisher's site.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.textnorm import fold, squash

if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHashLSH

# datasketch is imported on first use: it pulls in scipy, seconds of start-up for every command
# (and `run` answers signals only once started).

NUM_PERM = 128
SEED = 20240227        # fixed: signatures are stored and compared across processes and runs
SCHEME = "affine32"    # datasketch 2's permutation scheme, named so an upgrade cannot change it
SHINGLE_WORDS = 3
MIN_WORDS = 12         # shorter texts (a bare headline) say too little to call two items copies
# Measured on tests/corpus (3-word shingles): syndicated copies, trimmed and lightly edited,
# score Jaccard 0.64-0.79 and containment 0.86+; different stories on one topic at most 0.14
# and 0.28.
THRESHOLD = 0.5        # estimated Jaccard similarity from which an item is a copy of another
CONTAINMENT = 0.8      # ... or the share of the shorter text found in the longer (a trimmed copy)
LSH_THRESHOLD = 0.4    # the index's candidate threshold: below THRESHOLD, so copies are not missed
RELATED = 0.3          # from this two items tell one story: they cannot corroborate each other
WINDOW = timedelta(days=7)

_QUOTED = re.compile(r'"([^"]+)"')
MIN_QUOTE_WORDS = 4


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Word n-grams of the normalised text (accents, case and punctuation ignored)."""
    return _shingles(squash(text).split(), size)


def _shingles(words: list[str], size: int) -> set[bytes]:
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


_permutations = None


def signature(text: str) -> LeanMinHash | None:
    """The MinHash of a text, or None when it is too short to compare."""
    words = squash(text).split()
    if len(words) < MIN_WORDS:
        return None
    from datasketch import LeanMinHash, MinHash

    global _permutations
    if _permutations is None:  # drawing them is most of a MinHash's cost: once per process
        _permutations = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    m = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations, scheme=SCHEME)
    m.update_batch(list(_shingles(words, SHINGLE_WORDS)))
    return LeanMinHash(m)


def item_signature(title: str, text: str) -> LeanMinHash | None:
    return signature(f"{title}\n{text}")


def to_bytes(sig: LeanMinHash) -> bytes:
    buf = bytearray(sig.bytesize())
    sig.serialize(buf)
    return bytes(buf)


def from_bytes(data: bytes) -> LeanMinHash | None:
    """A stored signature; None for one this version cannot compare (another size or seed)."""
    from datasketch import LeanMinHash

    try:
        sig = LeanMinHash.deserialize(bytes(data))
    except Exception:
        return None
    if sig.seed != SEED or len(sig) != NUM_PERM:
        return None
    return sig


def similarity(a: LeanMinHash, b: LeanMinHash) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(a.jaccard(b))


def containment(a: LeanMinHash, b: LeanMinHash) -> float:
    """Estimated share of the smaller shingle set found in the larger one."""
    j = similarity(a, b)
    size_a, size_b = float(a.count()), float(b.count())
    smaller = min(size_a, size_b)
    if smaller <= 0:
        return 0.0
    return min(1.0, j * (size_a + size_b) / (1.0 + j) / smaller)


def is_copy(a: LeanMinHash, b: LeanMinHash) -> bool:
    return similarity(a, b) >= THRESHOLD or containment(a, b) >= CONTAINMENT


@dataclass(frozen=True)
class Indexed:
    item_id: int
    published: datetime
    signature: LeanMinHash
    root: int          # the first item of the story (itself, or what it is a copy of)


@functools.cache
def _lsh_bands() -> tuple[int, int]:
    """datasketch's (bands, rows) for our threshold: a numerical optimisation worth doing once
    per process, not once per index."""
    from datasketch import MinHashLSH

    probe = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    return probe.b, probe.r


class SyndicationIndex:
    """Recent items' signatures in an LSH index (one per process).

    The index only speeds up the search: the store is the truth. The caller feeds it every item
    the store holds in the window (`add`, idempotent), including those other processes wrote, and
    asks `copy_of` for the earliest-stored item a new text copies.
    """

    def __init__(self, *, window: timedelta = WINDOW):
        self.window = window
        self._lsh: MinHashLSH | None = None
        self.entries: dict[int, Indexed] = {}
        self.seen: set[int] = set()          # fingerprinted item ids already read or added
        self.max_id = 0
        self.loaded_from: datetime | None = None  # items published since then are all loaded

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def lsh(self) -> MinHashLSH:
        if self._lsh is None:
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM, params=_lsh_bands())
        return self._lsh

    def add(self, item_id: int, published: datetime, sig: LeanMinHash, root: int | None = None
            ) -> None:
        self.max_id = max(self.max_id, item_id)
        self.seen.add(item_id)
        if item_id in self.entries:
            return
        self.entries[item_id] = Indexed(item_id, published, sig, root or item_id)
        self.lsh.insert(item_id, sig, check_duplication=False)

    def copy_of(self, sig: LeanMinHash, published: datetime) -> Indexed | None:
        """The earliest-stored item within the window whose text this one copies."""
        found = []
        for key in self.lsh.query(sig):
            entry = self.entries[key]
            if abs(entry.published - published) > self.window:
                continue
            if is_copy(entry.signature, sig):
                found.append(entry)
        if not found:
            return None
        best = min(found, key=lambda e: (e.root, e.item_id))
        return self.entries.get(best.root, best)

    def expire(self, before: datetime, *, keep_ids_from: int = 0) -> int:
        """Forget items published before `before` (outside every later window), and which ids
        below `keep_ids_from` were looked at."""
        old = [k for k, e in self.entries.items() if e.published < before]
        for k in old:
            self.lsh.remove(k)
            del self.entries[k]
        self.seen = {i for i in self.seen if i >= keep_ids_from or i in self.entries}
        if self.loaded_from is not None and self.loaded_from < before:
            self.loaded_from = before
        return len(old)


def quote_key(evidence: str) -> str:
    """The identity of a statement's words: the quoted words when the sentence quotes the speaker
    directly (a re-report frames them differently: "X said on Monday" / "X told reporters"), else
    the whole sentence; normalised (accents, case, punctuation), then hashed."""
    quoted = [squash(q) for q in _QUOTED.findall(fold(evidence))]
    quoted = [q for q in quoted if q]
    direct = sum(len(q.split()) for q in quoted) >= MIN_QUOTE_WORDS
    basis = " | ".join(quoted) if direct else squash(evidence)
    return hashlib.sha256(basis.encode()).hexdigest()


# Second-level registrations under a country code ("bbc.co.uk", "abc.net.au").
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "gv", "or", "ne"})


def site(url: str) -> str:
    """The publisher's registrable domain, roughly: `feeds.bbci.co.uk` -> `bbci.co.uk`."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:  # a malformed link names no site
        return ""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """True when both URLs are from one site (or either has no host: we cannot tell apart)."""
    sa, sb = site(a), site(b)
    return not sa or not sb or sa == sb
