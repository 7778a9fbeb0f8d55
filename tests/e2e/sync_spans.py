#!/usr/bin/env python3
"""Overlapping syncs of one app by two replicas, from tether run --shard-apps logs.

Usage: sync_spans.py KILL_NS VICTIM LOG...
Each sync is the span between its "sync lease acquired" and "sync lease released" lines
(atMs, the wall clock); a span the kill -9 of VICTIM (at KILL_NS, date +%s%N) cut short
ends then, any other open one never. Prints "SPANS OVERLAPS"; each overlap on stderr.
"""
import re
import sys

LINE = re.compile(r'msg="sync lease (acquired|released)" app=(\S+) identity=(\S+) atMs=(\d+)')


def spans_of(logs, kill_ms, victim):
    spans, started = [], {}
    for f in logs:
        with open(f) as fh:
            for line in fh:
                m = LINE.search(line)
                if not m:
                    continue
                what, app, who, at = m.group(1), m.group(2), m.group(3), int(m.group(4))
                if what == "acquired":
                    started[(app, who)] = at
                elif (app, who) in started:
                    spans.append((app, who, started.pop((app, who)), at))
    for (app, who), at in started.items():
        spans.append((app, who, at, kill_ms if who == victim else 1 << 62))
    return spans


def main():
    kill_ms, victim, logs = int(sys.argv[1]) // 1000000, sys.argv[2], sys.argv[3:]
    by_app = {}
    for s in spans_of(logs, kill_ms, victim):
        by_app.setdefault(s[0], []).append(s)
    total = sum(len(v) for v in by_app.values())
    overlaps = 0
    for app, spans in by_app.items():
        spans.sort(key=lambda s: s[2])
        for i, (_, who, s, e) in enumerate(spans):
            for _, who2, s2, e2 in spans[i + 1:]:
                if s2 >= e:
                    break
                if who != who2:
                    overlaps += 1
                    print(f"overlap: {app} {who} [{s},{e}] {who2} [{s2},{e2}]", file=sys.stderr)
    print(total, overlaps)


if __name__ == "__main__":
    main()
