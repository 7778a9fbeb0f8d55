#!/usr/bin/env python3
"""Checks examples/monitoring against what the agent exports, for tests/e2e/metrics.sh.

Usage: alert_rules.py EXAMPLES_MONITORING METRICS_JSON SERVICE_YAML. METRICS_JSON is
promtext.py's output for a scrape of the agent. Prints one "ok - ..." or "not ok - ..."
line per check, as the e2e scripts do.
"""
import json
import re
import sys

import yaml

mon, metrics, service = sys.argv[1:4]
failed = False


def check(desc, fn):
    global failed
    try:
        fn()
        print("ok - " + desc)
    except Exception as e:  # an assertion or a missing key: the check failed
        failed = True
        print("not ok - %s\n#   %s: %s" % (desc, type(e).__name__, e))


plain = yaml.safe_load(open(mon + "/alerts.yaml"))
rules = [r for g in plain["groups"] for r in g["rules"]]
fams = json.load(open(metrics))["__families__"]
names = set(fams) | {
    f + s for f, t in fams.items() if t in ("histogram", "summary") for s in ("_bucket", "_sum", "_count")
}
names.add("up")  # Prometheus' own series per scrape target: the agent-down alert
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}


def same_groups():
    cr = yaml.safe_load(open(mon + "/prometheusrule.yaml"))
    assert cr["apiVersion"] == "monitoring.coreos.com/v1" and cr["kind"] == "PrometheusRule", cr["kind"]
    assert plain["groups"] == cr["spec"]["groups"], "the groups differ"


def complete():
    assert len(rules) >= 5
    for r in rules:
        assert r["alert"] and r["expr"] and r["labels"]["severity"] and r["annotations"]["summary"], r


def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    e = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", e)  # matchers, ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?", e):
        tok = m.group(0).rstrip("( ")
        if not m.group(1) and tok not in KEYWORDS:
            yield tok


def exported():
    used = set()
    for r in rules:
        for tok in metric_names(r["expr"]):
            assert tok in names, "%s: %s is not exported" % (r["alert"], tok)
            used.add(tok)
    want = {"agent down": "up", "not synced": "tether_app_condition",
            "rollout failed": "tether_rollout_failures_total", "drift": "tether_drift_objects",
            "suspended": "tether_app_suspended"}
    missing = [k for k, v in want.items() if v not in used]
    assert not missing, "no alert for: %s" % missing


def service_monitor():
    sm = yaml.safe_load(open(mon + "/servicemonitor.yaml"))
    svc = yaml.safe_load(open(service))
    ep = sm["spec"]["endpoints"][0]
    assert sm["kind"] == "ServiceMonitor" and ep["path"] == "/metrics"
    assert ep["port"] in [p["name"] for p in svc["spec"]["ports"]], ep["port"]
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()


def scrape_config():
    sc = yaml.safe_load(open(mon + "/scrape.yaml"))
    job = sc["scrape_configs"][0]
    assert job["job_name"] == "tether" and job["metrics_path"] == "/metrics"
    assert "alerts.yaml" in sc["rule_files"]


check("alerts.yaml and the PrometheusRule load, with the same groups", same_groups)
check("every rule has an alert, expr, severity and summary", complete)
check("every alert expression names only exported metrics, and each case has one", exported)
check("the ServiceMonitor scrapes the Service's port at /metrics", service_monitor)
check("the scrape config's job is the one the rules expect", scrape_config)
sys.exit(1 if failed else 0)
