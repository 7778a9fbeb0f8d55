#!/usr/bin/env python3
"""A strict reader of the Prometheus text exposition format (0.0.4), for the tests.

Reads the text on stdin; exits non-zero naming the line of the first violation:
metric and label names, label value escapes, values, HELP and TYPE lines (once each
per family, before its samples), every sample under the family TYPE declared (with
the _bucket/_sum/_count suffixes of histograms and summaries), samples of a family
together, no series twice, counters named *_total, histogram buckets cumulative with
a +Inf bucket equal to _count. Prints the samples as JSON: {"name{k=\"v\",...}": v}
with labels sorted (no braces without labels), and "__families__": {name: type}.
"""
import json
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def fail(n, msg):
    sys.exit("line %d: %s" % (n, msg))


def parse_labels(n, s):
    labels, i = {}, 0
    while i < len(s):
        m = re.match(r"(%s)=\"" % LABEL, s[i:])
        if not m:
            fail(n, "bad label at %r" % s[i:])
        key, i, val = m.group(1), i + m.end(), ""
        if key.startswith("__"):
            fail(n, "reserved label name " + key)
        while True:
            if i >= len(s):
                fail(n, "unterminated label value")
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    fail(n, "bad escape in a label value")
                val += {"n": "\n"}.get(s[i + 1], s[i + 1])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                fail(n, "newline in a label value")
            else:
                val += c
                i += 1
        if key in labels:
            fail(n, "label %s twice" % key)
        labels[key] = val
        if i < len(s):
            if s[i] != ",":
                fail(n, "expected , between labels")
            i += 1
    return labels


def parse_value(n, v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    try:
        return float(v)
    except ValueError:
        fail(n, "bad value %r" % v)


def family_of(name, families):
    if name in families:
        return name
    for fam, typ in families.items():
        for suf in SUFFIXES.get(typ, ()):
            if name == fam + suf:
                return fam
    return None


def main():
    families, helps, samples, done = {}, set(), {}, set()
    current = None
    for n, line in enumerate(sys.stdin.read().split("\n"), 1):
        if line == "":
            continue
        if line.startswith("#"):
            m = re.match(r"# (HELP|TYPE) (%s) (.*)$" % NAME, line)
            if not m:
                continue  # a plain comment
            kind, name, rest = m.groups()
            if kind == "TYPE":
                if rest not in TYPES:
                    fail(n, "unknown type " + rest)
                if name in families:
                    fail(n, "TYPE of %s twice" % name)
                if any(family_of(s.split("{")[0], {name: rest}) for s in samples):
                    fail(n, "TYPE of %s after its samples" % name)
                if rest == "counter" and not name.endswith("_total"):
                    fail(n, "counter %s not named *_total" % name)
                families[name] = rest
            else:
                if name in helps:
                    fail(n, "HELP of %s twice" % name)
                helps.add(name)
            continue
        m = re.match(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$" % NAME, line)
        if not m:
            fail(n, "not a sample: %r" % line)
        name, lab, val = m.group(1), m.group(2) or "", m.group(3)
        fam = family_of(name, families)
        if fam is None:
            fail(n, "%s has no TYPE" % name)
        if fam != current:
            if fam in done:
                fail(n, "samples of %s are not together" % fam)
            if current:
                done.add(current)
            current = fam
        labels = parse_labels(n, lab)
        key = name
        if labels:
            key += "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"
        if key in samples:
            fail(n, "series %s twice" % key)
        samples[key] = parse_value(n, val)
    check_histograms(samples, families)
    out = {k: (v if math.isfinite(v) else str(v)) for k, v in samples.items()}
    out["__families__"] = families
    print(json.dumps(out))


def check_histograms(samples, families):
    for fam, typ in families.items():
        if typ != "histogram":
            continue
        series = {}
        for k, v in samples.items():
            if k.startswith(fam + "_bucket{"):
                labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', k))
                le = labels.pop("le")
                series.setdefault(tuple(sorted(labels.items())), []).append((float(le), v))
        for labels, buckets in series.items():
            buckets.sort()
            if buckets[-1][0] != math.inf:
                sys.exit("%s%s: no +Inf bucket" % (fam, labels))
            if any(b[1] < a[1] for a, b in zip(buckets, buckets[1:])):
                sys.exit("%s%s: buckets not cumulative" % (fam, labels))
            count = fam + "_count"
            if labels:
                count += "{" + ",".join('%s="%s"' % kv for kv in labels) + "}"
            if samples.get(count) != buckets[-1][1]:
                sys.exit("%s%s: +Inf bucket differs from _count" % (fam, labels))


BAD = [
    "# TYPE x counter\nx 1\n",  # a counter not named *_total
    '# TYPE x_total counter\nx_total{a="1} 1\n',  # unterminated label value
    "y 1\n",  # no TYPE
    "# TYPE g gauge\ng one\n",  # not a number
    '# TYPE g gauge\ng{a="1"} 1\ng{a="1"} 2\n',  # a series twice
    '# TYPE g gauge\n# TYPE h gauge\ng{a="1"} 1\nh 1\ng{a="2"} 2\n',  # a family split
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
]
GOOD = '# HELP y_total h\n# TYPE y_total counter\ny_total{a="q\\"\\n"} 1\n'


def selftest():
    """The reader refuses each of BAD and reads GOOD (run with --selftest)."""
    import io
    for text in BAD + [GOOD]:
        sys.stdin = io.StringIO(text)
        try:
            main()
            refused = False
        except SystemExit:
            refused = True
        if refused != (text != GOOD):
            sys.stdout = sys.__stdout__
            sys.exit("selftest: %r %s" % (text, "refused" if refused else "accepted"))


if sys.argv[1:] == ["--selftest"]:
    out, sys.stdout = sys.stdout, open("/dev/null", "w")
    selftest()
    sys.stdout = out
else:
    main()
