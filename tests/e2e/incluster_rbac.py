"""Compare the RBAC of an examples/deploy variant with what check-access prints.

usage: incluster_rbac.py VARIANT.yaml PRINTED.yaml SA-NS SA [WIDEN-NS...]

Both files are flattened to (namespace, group, resource, verb) grants of the
ServiceAccount SA-NS/SA: a ClusterRoleBinding grants its rules at "*" (every
namespace and the cluster scope), a RoleBinding in its own namespace. The printed
grants in a WIDEN-NS namespace become "*" (a cluster-wide variant grants there what
the app needs in its namespaces). Prints what is missing (needed, not granted) and
what is extra (granted, not needed); exit 1 if either is not empty.
"""
import sys
import yaml


def grants(path, sa_ns, sa):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    roles = {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d
             for d in docs if d["kind"] in ("Role", "ClusterRole")}
    out = set()
    for b in docs:
        if b["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa
                   and s.get("namespace") == sa_ns for s in b.get("subjects", [])):
            continue
        ns = b["metadata"].get("namespace", "") if b["kind"] == "RoleBinding" else "*"
        ref = b["roleRef"]
        role_ns = ns if ref["kind"] == "Role" else ""
        role = roles.get((ref["kind"], role_ns, ref["name"]))
        if role is None:
            sys.exit("%s: %s binds %s %s, which is not in the file"
                     % (path, b["metadata"]["name"], ref["kind"], ref["name"]))
        for r in role.get("rules", []):
            if r.get("resourceNames"):
                sys.exit("%s: %s limits a rule by resourceNames" % (path, ref["name"]))
            for g in r["apiGroups"]:
                for res in r["resources"]:
                    for v in r["verbs"]:
                        out.add((ns, g, res, v))
    return out


def covered(g, have):
    return g in have or ("*",) + g[1:] in have


def main():
    variant, printed, sa_ns, sa = sys.argv[1:5]
    widen = set(sys.argv[5:])
    have = grants(variant, sa_ns, sa)
    need = {("*" if g[0] in widen else g[0],) + g[1:] for g in grants(printed, sa_ns, sa)}
    missing = sorted(g for g in need if not covered(g, have))
    extra = sorted(g for g in have if not covered(g, need))
    for g in missing:
        print("missing: %s %s %s in %s" % (g[3], g[1] or "(core)", g[2], g[0]))
    for g in extra:
        print("extra: %s %s %s in %s" % (g[3], g[1] or "(core)", g[2], g[0]))
    sys.exit(1 if missing or extra else 0)


if __name__ == "__main__":
    main()
