"""One replica of one partition: an append-only log with a start offset, leader epochs and the
idempotent producer's state.

Kafka keeps, per partition, the log (``log start offset`` .. ``log end offset``), a leader-epoch
cache (the first offset of every epoch, KIP-101) and, per producer id, the last batch sequence
(KIP-98), all on disk: here they are durable.
"""

from __future__ import annotations

__all__ = ["Replica"]

EPOCH, KEY, VALUE, MSG_ID, PID, SEQ, TIME = range(7)


class Replica:
    """The durable state of one partition on one broker."""

    __slots__ = ("records", "log_start", "epoch_starts", "producers", "high_watermark")

    def __init__(self) -> None:
        self.records: list = []
        self.log_start = 0
        self.epoch_starts: list = []     # [(epoch, first offset)], increasing
        self.producers: dict = {}        # producer id -> {batch seq: base offset}
        self.high_watermark = 0

    @property
    def log_end(self) -> int:
        return self.log_start + len(self.records)

    def last_epoch(self) -> int:
        return self.records[-1][EPOCH] if self.records else (
            self.epoch_starts[-1][0] if self.epoch_starts else -1)

    def append(self, records, epoch: int, pid=None, seq: int = 0) -> int:
        """Append records ``(epoch, key, value, msg_id, pid, seq, time)``; return base offset."""
        base = self.log_end
        if not self.epoch_starts or self.epoch_starts[-1][0] < epoch:
            self.epoch_starts.append((epoch, base))
        self.records.extend(records)
        if pid is not None:
            self.producers.setdefault(pid, {})[seq] = base
        return base

    def append_replicated(self, records) -> None:
        """A follower appends the leader's records, keeping epochs and producer state."""
        base = self.log_end
        starts, producers = self.epoch_starts, self.producers
        for i, record in enumerate(records):
            if not starts or record[EPOCH] > starts[-1][0]:
                starts.append((record[EPOCH], base + i))
            pid = record[PID]
            if pid is not None:
                producers.setdefault(pid, {}).setdefault(record[SEQ], base + i)
        self.records.extend(records)

    def duplicate_of(self, pid, seq: int):
        """The base offset of an already-appended batch ``(pid, seq)``, or None (KIP-98)."""
        # Kafka keeps the last five batches per producer (max.in.flight <= 5); the lab keeps
        # them all, so any number of batches may be in flight.
        seqs = self.producers.get(pid)
        return None if seqs is None else seqs.get(seq)

    def end_offset_for(self, epoch: int) -> int:
        """The end offset of ``epoch`` in this log (OffsetsForLeaderEpoch, KIP-101)."""
        end = self.log_end
        for e, start in reversed(self.epoch_starts):
            if e > epoch:
                end = start
            else:
                break
        return end

    def read(self, offset: int, limit: int, upto: int) -> tuple:
        """Records from ``offset`` (at most ``limit``, none at or above ``upto``)."""
        lo = offset - self.log_start
        hi = min(upto - self.log_start, lo + limit)
        return tuple(self.records[lo:hi]) if hi > lo else ()

    def truncate(self, offset: int) -> None:
        """Drop every record at or above ``offset`` (a diverged follower; KIP-101)."""
        offset = max(offset, self.log_start)
        if offset >= self.log_end:
            return
        del self.records[offset - self.log_start:]
        self.epoch_starts = [(e, s) for e, s in self.epoch_starts if s < offset]
        self.high_watermark = min(self.high_watermark, offset)
        self.producers = {}
        for offset_i, record in enumerate(self.records, self.log_start):
            if record[PID] is not None:
                self.producers.setdefault(record[PID], {}).setdefault(record[SEQ], offset_i)

    def delete_before(self, time_ms: int) -> int:
        """Retention: drop records appended before ``time_ms`` below the high watermark."""
        n = 0
        limit = self.high_watermark - self.log_start
        while n < limit and self.records[n][TIME] < time_ms:
            n += 1
        if n:
            del self.records[:n]
            self.log_start += n
        return n
