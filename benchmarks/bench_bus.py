"""Benchmark: simulated messages per wall-clock second through the Kafka-like log.

Three brokers, one topic of 3 partitions (RF=3, min.insync.replicas=2, acks=all, idempotent
producer), one producer sending batches of ``--batch`` records round robin over the partitions
(Kafka's producer batches per partition: batch.size, linger.ms), and one group of 3 consumers
polling every 5 ms and committing after processing. A message counts once it is delivered to
the group; the run ends when every acknowledged message has been delivered. Target: at least
50,000 messages per wall second. It is met only with batching. Measured (Dec 2026, one
core of a shared 2-core machine), per CPU second of this single-threaded process: batches of
100 records about 290,000 (each batch costs the same handful of network messages as one
record), batches of 10 about 75,000, unbatched records about 12,000 (4.6 network messages
and 7 kernel events per record: the produce, the followers' fetches and their replies, the
acknowledgement), far below the target; the wall rates printed beside them were 2 to 3 times
lower while other jobs shared the machine. Run:
``.venv/bin/python benchmarks/bench_bus.py`` (``--messages N --batch B`` for one
configuration).
"""

from __future__ import annotations

import argparse
import time   # wall clock: benchmarks only, never the model

from caplab.bus.check import check_duplicated, check_lost
from caplab.bus.kafka import KafkaLog

TARGET_PER_S = 50_000


def run(messages: int, batch: int, *, trace: bool = False, seed: int = 1) -> dict:
    started = time.perf_counter()
    cpu_started = time.process_time()
    log = KafkaLog(brokers=3, seed=seed, trace=trace)
    log.create_topic("orders", partitions=3, min_insync_replicas=2)
    producer = log.producer("p")
    consumers = [log.consumer(f"c{i}", "g", "orders") for i in range(1, 4)]
    log.run_for(100)
    for c in consumers:
        c.run_loop(5)
    handles = []
    done = [0]       # completed produces, counted by callback: the predicate below is O(1)
    for i in range(0, messages, batch):
        records = [(None, j) for j in range(i, min(i + batch, messages))]
        handle = producer.produce_batch_async("orders", records)
        handle.on_done(lambda _: done.__setitem__(0, done[0] + 1))
        handles.append(handle)
        log.run_for(1)
    # (an all(h.done for h in handles) predicate, run after every event, cost more wall time
    # than the simulation itself: O(n) per event)
    log.run_until(lambda: done[0] == len(handles), timeout_ms=60_000)
    acked = sum(len(h.operation.input) for h in handles if h.result.ok)
    delivered = lambda: sum(len(o.output) for o in log.history  # noqa: E731
                            if o.op == "poll" and o.outcome == "ok" and o.output)
    while delivered() < acked and log.now < 120_000:
        log.run_for(50)
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    n = delivered()
    return {"messages": n, "acked": acked, "wall_s": wall_s, "per_s": n / wall_s,
            "cpu_s": cpu_s, "per_cpu_s": n / cpu_s,
            "sim_ms": log.now, "events": log.sim.events_run, "net_messages": log.network.sent,
            "lost": len(check_lost(log.history, "orders", "g").details["lost"]),
            "duplicated": check_duplicated(log.history, "orders", "g").details["count"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--batch", type=int, default=None)
    args = parser.parse_args()
    if args.messages or args.batch:
        configs = [(args.messages or 200_000, args.batch or 100)]
    else:
        configs = [(10_000, 1), (50_000, 10), (200_000, 100)]
    for messages, batch in configs:
        report(run(messages, batch), batch)


def report(r: dict, batch: int) -> None:
    verdict = "meets" if r["per_s"] >= TARGET_PER_S else "MISSES"
    print(f"batch={batch:<4} {r['messages']:,} messages delivered ({r['acked']:,} acknowledged) in "
          f"{r['wall_s']:.2f} s wall = {r['per_s']:,.0f} messages/s ({verdict} the target of "
          f"{TARGET_PER_S:,}/s; {r['per_cpu_s']:,.0f} per CPU second); simulated {r['sim_ms']} ms, {r['events']:,} events, "
          f"{r['net_messages']:,} network messages; lost {r['lost']}, "
          f"duplicated {r['duplicated']}")


if __name__ == "__main__":
    main()
