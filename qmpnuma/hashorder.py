"""The iteration orders of QEMU's hash tables, where they decide a reply.

When an object has several unexpected members, QEMU reports the first one
its hash table yields: the QObject input visitor (qapi/qobject-input-visitor.c)
copies the keys of a QDict (qobject/qdict.c) into a GLib GHashTable, takes
each member it visits out, and reports the first key left; the OptsVisitor
(qapi/opts-visitor.c) does the same with option names.  Both orders are
deterministic functions of the keys and their insertion order, modelled
here: QDict's tdb_hash buckets, and GLib 2.74's GHashTable (glib/ghash.c:
g_str_hash, open addressing with quadratic probing, in-place resizes).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["qdict_order", "ghash_first", "first_unexpected", "GStrHashSet"]


#: tdb_hash shifts byte i left by ``i * 5 % 24``: the shifts repeat every
#: 24 bytes, so the bytes of each residue class can be summed first.
_TDB_PERIOD = 24
_TDB_SHIFTS = tuple(i * 5 % _TDB_PERIOD for i in range(_TDB_PERIOD))


def _tdb_hash(key: str) -> int:
    """QDict's hash function (qobject/qdict.c tdb_hash), over the key's
    modified UTF-8 bytes (QEMU's JSON parser stores NUL as C0 80).

    The sum is taken modulo 2**32 and addition commutes, so summing each
    residue class in C gives the byte-by-byte result at any key length.
    """
    data = key.encode("utf-8", "surrogatepass").replace(b"\0", b"\xc0\x80")
    value = 0x238F13AF * len(data)
    for start, shift in enumerate(_TDB_SHIFTS[: len(data)]):
        value += sum(data[start::_TDB_PERIOD]) << shift
    return (1103515243 * (value & 0xFFFFFFFF) + 12345) & 0xFFFFFFFF


#: qobject/qdict.c QDICT_BUCKET_MAX
_QDICT_BUCKETS = 512


#: Distinct key sequences whose order is remembered.  Replies are built from
#: a few dozen schema types, so their key sequences repeat: a reply listing
#: 255 CPUs orders the same four props keys 255 times.
_QDICT_ORDER_CACHE = 1024
#: The largest key sequence remembered, in keys and in characters.  Keys
#: come from clients too (an ``id`` object, command arguments), so every
#: entry is small and the cache holds a few MB at worst.
_QDICT_ORDER_KEYS = 16
_QDICT_ORDER_KEY_CHARS = 256


def qdict_order(keys: Iterable[str]) -> list[str]:
    """The order in which QEMU iterates a QDict built by inserting ``keys``.

    qdict_first()/qdict_next() walk the buckets in ascending order, and
    qdict_put() adds a key at the head of its bucket: inside a bucket, the
    last inserted comes first.
    """
    sequence = tuple(keys)
    if len(sequence) > _QDICT_ORDER_KEYS or sum(map(len, sequence)) > _QDICT_ORDER_KEY_CHARS:
        return list(_qdict_order(sequence))
    return list(_qdict_order_cached(sequence))


def _qdict_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    index = {k: i for i, k in enumerate(keys)}
    return tuple(sorted(index, key=lambda k: (_tdb_hash(k) % _QDICT_BUCKETS, -index[k])))


_qdict_order_cached = functools.lru_cache(maxsize=_QDICT_ORDER_CACHE)(_qdict_order)


#: glib/ghash.c prime_mod, indexed by the table's shift.
_GHASH_PRIME_MOD = (1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381)
_GHASH_MIN_SHIFT = 3
_GHASH_UNUSED, _GHASH_TOMBSTONE = 0, 1


class GStrHashSet:
    """GLib 2.74's GHashTable of strings, as far as iteration order goes.

    The QObject input visitor puts an object's keys in a GHashTable, takes
    each visited member out, and reports the first key left (iteration
    order) as unexpected; QOM keeps an object's children in one, which
    orders query-memdev and qom-list.  That order follows from
    g_str_hash(), the table's open addressing and its resizes, reproduced
    here; iterating yields the keys in g_hash_table_iter order.
    """

    def __init__(self) -> None:
        self._set_shift(_GHASH_MIN_SHIFT)
        self.hashes = [_GHASH_UNUSED] * self.size
        self.keys: list[str | None] = [None] * self.size
        self.nnodes = 0
        self.noccupied = 0

    def _set_shift(self, shift: int) -> None:
        self.size = 1 << shift
        self.mod = _GHASH_PRIME_MOD[shift]
        self.mask = self.size - 1

    @staticmethod
    def _hash(key: str) -> int:
        value = 5381  # g_str_hash: djb2 over signed chars
        for byte in key.encode():
            value = (value * 33 + (byte - 256 if byte >= 128 else byte)) & 0xFFFFFFFF
        return value if value > _GHASH_TOMBSTONE else 2

    def _index(self, hash_value: int) -> int:
        # guint arithmetic: the product wraps at 32 bits.
        return ((hash_value * 11) & 0xFFFFFFFF) % self.mod

    def _lookup(self, key: str, hash_value: int) -> int:
        index, step, tombstone = self._index(hash_value), 0, -1
        while self.hashes[index] != _GHASH_UNUSED:
            if self.hashes[index] == hash_value and self.keys[index] == key:
                return index
            if self.hashes[index] == _GHASH_TOMBSTONE and tombstone < 0:
                tombstone = index
            step += 1
            index = (index + step) & self.mask
        return tombstone if tombstone >= 0 else index

    def add(self, key: str) -> None:
        hash_value = self._hash(key)
        index = self._lookup(key, hash_value)
        if self.hashes[index] > _GHASH_TOMBSTONE:
            return
        was_unused = self.hashes[index] == _GHASH_UNUSED
        self.hashes[index], self.keys[index] = hash_value, key
        self.nnodes += 1
        if was_unused:
            self.noccupied += 1
            self._maybe_resize()

    def discard(self, key: str) -> None:
        index = self._lookup(key, self._hash(key))
        if self.hashes[index] <= _GHASH_TOMBSTONE:
            return
        self.hashes[index], self.keys[index] = _GHASH_TOMBSTONE, None
        self.nnodes -= 1
        self._maybe_resize()

    def _maybe_resize(self) -> None:
        shrink = self.size > self.nnodes * 4 and self.size > 1 << _GHASH_MIN_SHIFT
        if shrink or self.size <= self.noccupied + self.noccupied // 16:
            self._resize()

    def _resize(self) -> None:
        old_size = self.size
        shift, n = 0, int(self.nnodes * 1.333)
        while n:
            n >>= 1
            shift += 1
        self._set_shift(max(shift, _GHASH_MIN_SHIFT))
        if self.size > old_size:
            self.hashes += [_GHASH_UNUSED] * (self.size - old_size)
            self.keys += [None] * (self.size - old_size)
        # Rehash in place, evicting entries in the way (resize_set()).
        placed = [False] * max(self.size, old_size)
        for i in range(old_size):
            node_hash = self.hashes[i]
            if node_hash <= _GHASH_TOMBSTONE:
                self.hashes[i] = _GHASH_UNUSED
                continue
            if placed[i]:
                continue
            self.hashes[i], key = _GHASH_UNUSED, self.keys[i]
            self.keys[i] = None
            while True:
                index, step = self._index(node_hash), 0
                while placed[index]:
                    step += 1
                    index = (index + step) & self.mask
                placed[index] = True
                replaced = self.hashes[index]
                self.hashes[index] = node_hash
                if replaced <= _GHASH_TOMBSTONE:
                    self.keys[index] = key
                    break
                node_hash = replaced
                key, self.keys[index] = self.keys[index], key
        del self.hashes[self.size :], self.keys[self.size :]
        self.noccupied = self.nnodes

    def __iter__(self) -> Iterator[str]:
        for hash_value, key in zip(self.hashes, self.keys, strict=True):
            if hash_value > _GHASH_TOMBSTONE:
                assert key is not None
                yield key


def first_unexpected(keys: Sequence[str], members: Iterable[str]) -> str | None:
    """The key QEMU reports as unexpected in an object with ``keys``.

    ``keys`` are in input order; ``members`` are those the visitor took.
    """
    return ghash_first(qdict_order(keys), members)


def ghash_first(inserted: Iterable[str], removed: Iterable[str]) -> str | None:
    """The key a GHashTable iteration yields first after inserting
    ``inserted`` in order and then removing ``removed``; None if empty."""
    table = GStrHashSet()
    for key in inserted:
        table.add(key)
    for key in removed:
        table.discard(key)
    return next(iter(table), None)
