#!/usr/bin/env python3
"""Writes tests/kubesim/proto_desc.c: the protobuf message descriptors of every built-in
kind kubesim serves, as C tables for proto.c's one generic decoder.

The source is the FileDescriptorProto that each k8s.io/api (and apimachinery)
generated.proto compiles to: gogo-protobuf registers it gzipped in every client binary,
so the real kubectl 1.32 carries the exact field numbers, types and gogoproto options of
the version kubesim imitates. apiregistration.k8s.io (kube-aggregator) is not in kubectl;
its few messages are written out below from kube-aggregator's generated.proto.

    python3 tests/kubesim/tools/proto_desc.py [/path/to/kubectl] > tests/kubesim/proto_desc.c
"""
import re
import struct
import sys
import zlib

# The kinds kubesim serves (and the review and token kinds it answers), by API version.
KINDS = {
    "v1": "Namespace ConfigMap Secret Service ServiceAccount Pod Event Endpoints "
          "PersistentVolumeClaim Node PersistentVolume ResourceQuota LimitRange "
          "ReplicationController PodTemplate Binding",
    "apps/v1": "Deployment ReplicaSet StatefulSet DaemonSet ControllerRevision",
    "batch/v1": "Job CronJob",
    "networking.k8s.io/v1": "Ingress NetworkPolicy IngressClass",
    "rbac.authorization.k8s.io/v1": "Role RoleBinding ClusterRole ClusterRoleBinding",
    "coordination.k8s.io/v1": "Lease",
    "policy/v1": "PodDisruptionBudget Eviction",
    "scheduling.k8s.io/v1": "PriorityClass",
    "autoscaling/v1": "HorizontalPodAutoscaler Scale",
    "autoscaling/v2": "HorizontalPodAutoscaler",
    "storage.k8s.io/v1": "StorageClass CSIDriver",
    "admissionregistration.k8s.io/v1": "ValidatingWebhookConfiguration "
          "MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding",
    "apiregistration.k8s.io/v1": "APIService",
    "discovery.k8s.io/v1": "EndpointSlice",
    "node.k8s.io/v1": "RuntimeClass",
    "authorization.k8s.io/v1": "SelfSubjectAccessReview SubjectAccessReview "
          "LocalSubjectAccessReview SelfSubjectRulesReview",
    "authentication.k8s.io/v1": "SelfSubjectReview TokenRequest TokenReview",
}

# API group -> proto package (k8s.io/api/<dir>/<version>).
PKG_DIR = {"": "core", "rbac.authorization.k8s.io": "rbac", "networking.k8s.io": "networking",
           "coordination.k8s.io": "coordination", "scheduling.k8s.io": "scheduling",
           "storage.k8s.io": "storage", "admissionregistration.k8s.io": "admissionregistration",
           "discovery.k8s.io": "discovery", "node.k8s.io": "node",
           "authorization.k8s.io": "authorization", "authentication.k8s.io": "authentication"}

# Fields whose Go struct embeds the message with `json:",inline"`: their fields belong to
# the enclosing JSON object (types.go; the descriptor does not say it).
INLINE = {("Volume", "volumeSource"), ("Probe", "handler"),
          ("PersistentVolumeSpec", "persistentVolumeSource"),
          ("EphemeralContainer", "ephemeralContainerCommon"),
          ("IngressRule", "ingressRuleValue"),
          ("NamedRuleWithOperations", "ruleWithOperations"), ("RuleWithOperations", "rule"),
          ("ConfigMapEnvSource", "localObjectReference"),
          ("ConfigMapKeySelector", "localObjectReference"),
          ("ConfigMapProjection", "localObjectReference"),
          ("ConfigMapVolumeSource", "localObjectReference"),
          ("SecretEnvSource", "localObjectReference"),
          ("SecretKeySelector", "localObjectReference"),
          ("SecretProjection", "localObjectReference")}

# apimachinery types with their own JSON form.
SPECIAL = {
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "PROTO_QUANTITY",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "PROTO_INTORSTRING",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "PROTO_TIME",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "PROTO_MICROTIME",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "PROTO_DURATION",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "PROTO_RAW",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "PROTO_RAW",
}
SCALAR = {9: "PROTO_STRING", 12: "PROTO_BYTES", 5: "PROTO_INT32", 3: "PROTO_INT64",
          8: "PROTO_BOOL"}

# kube-aggregator/pkg/apis/apiregistration/v1/generated.proto (not compiled into kubectl):
# name -> [(name, number, label, type, type_name, nullable)]; label 3 = repeated.
AGG = "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1."
META = ".k8s.io.apimachinery.pkg.apis.meta.v1."
AGGREGATOR = {
    AGG + "APIService": [("metadata", 1, 1, 11, META + "ObjectMeta", False),
                         ("spec", 2, 1, 11, "." + AGG + "APIServiceSpec", False),
                         ("status", 3, 1, 11, "." + AGG + "APIServiceStatus", False)],
    AGG + "APIServiceSpec": [("service", 1, 1, 11, "." + AGG + "ServiceReference", True),
                             ("group", 2, 1, 9, None, False), ("version", 3, 1, 9, None, False),
                             ("insecureSkipTLSVerify", 4, 1, 8, None, False),
                             ("caBundle", 5, 1, 12, None, False),
                             ("groupPriorityMinimum", 7, 1, 5, None, False),
                             ("versionPriority", 8, 1, 5, None, False)],
    AGG + "ServiceReference": [("namespace", 1, 1, 9, None, False), ("name", 2, 1, 9, None, False),
                               ("port", 3, 1, 5, None, True)],
    AGG + "APIServiceStatus": [("conditions", 1, 3, 11, "." + AGG + "APIServiceCondition", False)],
    AGG + "APIServiceCondition": [("type", 1, 1, 9, None, False), ("status", 2, 1, 9, None, False),
                                  ("lastTransitionTime", 3, 1, 11, META + "Time", False),
                                  ("reason", 4, 1, 9, None, False),
                                  ("message", 5, 1, 9, None, False)],
}

# Its fields without omitempty (kube-aggregator's types.go).
AGGREGATOR_KEEP = {("APIServiceSpec", "groupPriorityMinimum"), ("APIServiceSpec", "versionPriority"),
                   ("APIServiceCondition", "type"), ("APIServiceCondition", "status")}


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def pb_fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        n, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            ln, i = varint(b, i)
            v, i = b[i:i + ln], i + ln
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % w)
        yield n, v


def field_of(b):
    f = {"type_name": None, "nullable": True, "label": 1, "go": None}
    for n, v in pb_fields(b):
        if n == 1:
            f["name"] = v.decode()
        elif n == 3:
            f["num"] = v
        elif n == 4:
            f["label"] = v
        elif n == 5:
            f["type"] = v
        elif n == 6:
            f["type_name"] = v.decode()
        elif n == 8:
            for on, ov in pb_fields(v):
                if on == 65001:  # gogoproto.nullable
                    f["nullable"] = bool(ov)
                elif on == 65004:  # gogoproto.customname: the Go field
                    f["go"] = ov.decode()
    return f


def messages_of(b, prefix, out):
    name, fields, map_entry = None, [], False
    nested = []
    for n, v in pb_fields(b):
        if n == 1:
            name = v.decode()
        elif n == 2:
            fields.append(field_of(v))
        elif n == 3:
            nested.append(v)
        elif n == 7:
            map_entry = any(on == 7 and ov for on, ov in pb_fields(v))
    full = prefix + "." + name
    out[full] = {"fields": fields, "map_entry": map_entry}
    for v in nested:
        messages_of(v, full, out)


def load(kubectl):
    data = open(kubectl, "rb").read()
    msgs = {}
    for m in re.finditer(b"\x1f\x8b\x08", data):
        try:
            out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[m.start():m.start() + (4 << 20)])
        except zlib.error:
            continue
        if out[:1] != b"\x0a" or not out[2:2 + out[1]].endswith(b"generated.proto"):
            continue
        pkg = None
        for n, v in pb_fields(out):
            if n == 2:
                pkg = v.decode()
            elif n == 4:
                messages_of(v, pkg, msgs)
    for name, fl in AGGREGATOR.items():
        msgs[name] = {"map_entry": False, "fields": [
            {"name": f[0], "num": f[1], "label": f[2], "type": f[3], "type_name": f[4],
             "nullable": f[5], "go": f[0][0].upper() + f[0][1:],
             "keep": (name.rsplit(".", 1)[-1], f[0]) in AGGREGATOR_KEEP} for f in fl]}
    return msgs


def package_of(api_version):
    group, _, version = api_version.rpartition("/")
    if group == "apiregistration.k8s.io":
        return AGG.rstrip(".")
    return "k8s.io.api.%s.%s" % (PKG_DIR.get(group, group), version)


def rodata(data):
    """(bytes, virtual address) of the ELF's .rodata, where Go keeps its type data."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sec = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = sec[shstrndx][4]
    for name, _, _, addr, off, size in sec:
        if data[strtab + name:strtab + name + 8] == b".rodata\0":
            return data[off:off + size], addr
    sys.exit("proto_desc: no .rodata")


def go_structs(data):
    """{(Go type "v1.Pod", frozenset of (proto name, number)): {(name, number): omitempty}}.

    Go's runtime type data holds every struct's fields with their tags: a StructType ends
    in the slice of its fields ({name, type, offset}, the name a record of flags, length,
    name, length, tag), 16 bytes after its type's name offset. Only the JSON tag says
    whether a zero value is left out (omitempty); the proto descriptor does not."""
    ro, base = rodata(data)
    q = struct.unpack_from("<%dQ" % (len(ro) // 8), ro)
    lo, hi = base, base + len(ro)

    def name(va, want_tag):
        o = va - base
        if not 0 <= o < len(ro) - 2 or ro[o] > 15:
            return None
        ln, p = ro[o + 1], o + 2
        if ln & 0x80:
            ln, p = (ln & 0x7F) | ro[o + 2] << 7, o + 3
        text = ro[p:p + ln]
        if not want_tag:
            return text.decode("latin1")
        if not re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", text or b"-"):
            return None
        p += ln
        tag = b""
        if ro[o] & 2:
            tl, p = ro[p], p + 1
            if tl & 0x80:
                tl, p = (tl & 0x7F) | ro[p] << 7, p + 1
            tag = ro[p:p + tl]
        return tag.decode("latin1")

    out = {}
    for i in range(1, len(q) - 2):
        v, n = q[i], q[i + 1]
        if not (lo <= v < hi and n == q[i + 2] and 1 <= n <= 300 and (v - base) % 8 == 0):
            continue
        j = (v - base) // 8
        if j + 3 * n > len(q) or not all(lo <= q[j + 3 * k] < hi for k in range(n)):
            continue
        tags = [name(q[j + 3 * k], True) for k in range(n)]
        if None in tags or not any('protobuf:"' in t for t in tags):
            continue
        sig, omit = set(), {}
        for tag in tags:
            pm = re.search(r'protobuf:"([^"]*)"', tag)
            pb = pm.group(1).split(",") if pm else []
            pname = [x[5:] for x in pb if x.startswith("name=")]
            if len(pb) < 3 or not pname:
                continue
            js = re.search(r'json:"([^"]*)"', tag)
            js = js.group(1).split(",") if js else ["", "omitempty"]
            sig.add((pname[0], int(pb[1])))
            omit[(pname[0], int(pb[1]))] = "omitempty" in js[1:] or js[0] == ""
        noff, = struct.unpack_from("<i", ro, i * 8 - 16)
        tname = name(base + noff, False)
        if tname:
            key = (tname.lstrip("*"), frozenset(sig))
            out[key] = omit if out.get(key, omit) == omit else None
    return out


def main():
    kubectl = sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/kubectl"
    msgs = load(kubectl)
    structs = go_structs(open(kubectl, "rb").read())
    order, index = [], {}

    def visit(name):
        if name in index:
            return
        if name not in msgs:
            sys.exit("proto_desc: no message %s" % name)
        index[name] = len(order)
        order.append(name)
        for f in msgs[name]["fields"]:
            tn = (f["type_name"] or "").lstrip(".")
            if f["type"] == 11 and tn not in SPECIAL:
                visit(tn)

    kinds = []
    for av, names in KINDS.items():
        for kind in names.split():
            full = package_of(av) + "." + kind
            visit(full)
            kinds.append((av, kind, full))

    w = sys.stdout.write
    w("/*\n * proto_desc: the message descriptors of every built-in kind, for proto.c.\n"
      " * Generated by tests/kubesim/tools/proto_desc.py from the descriptors compiled into\n"
      " * kubectl 1.32 (k8s.io/api generated.proto); do not edit, regenerate.\n */\n"
      "#include \"proto_int.h\"\n\n")
    w("const struct proto_field proto_fields[] = {\n")
    first, nfields = {}, 0
    for name in order:
        first[name] = nfields
        short = name.rsplit(".", 1)[-1]
        sig = frozenset((f["name"], f["num"]) for f in msgs[name]["fields"])
        omit = structs.get((".".join(name.split(".")[-2:]), sig)) or {}
        for f in msgs[name]["fields"]:
            tn = (f["type_name"] or "").lstrip(".")
            flags = []
            if f["label"] == 3:
                flags.append("PROTO_REPEATED")
            if f["nullable"] and f["label"] != 3:
                flags.append("PROTO_POINTER")
            if (short, f["name"]) in INLINE:
                flags.append("PROTO_INLINE")
            if (not omit.get((f["name"], f["num"]), True) or f.get("keep")) and \
                    (short, f["name"]) not in INLINE:
                flags.append("PROTO_KEEP")
            if f["type"] == 11:
                ty = SPECIAL.get(tn, "PROTO_MESSAGE")
                sub = index.get(tn, 0)
            else:
                ty = SCALAR[f["type"]]
                sub = 0
            # The Go field only where it is not the JSON name capitalized.
            go = f["go"] if f["go"] and f["go"] != f["name"][0].upper() + f["name"][1:] else None
            w('\t{"%s", %s, %d, %s, %s, %d},\n' % (f["name"], '"%s"' % go if go else "NULL",
                                                    f["num"], ty, " | ".join(flags) or "0", sub))
            nfields += 1
    w("};\n\nconst struct proto_message proto_messages[] = {\n")
    for name in order:
        w('\t{"%s", %d, %d, %s},\n' % (name, first[name], len(msgs[name]["fields"]),
                                       "true" if msgs[name]["map_entry"] else "false"))
    w("};\nconst size_t proto_nmessages = sizeof(proto_messages) / sizeof(proto_messages[0]);\n\n")
    w("const struct proto_kind proto_kinds[] = {\n")
    for av, kind, full in kinds:
        w('\t{"%s", "%s", %d},\n' % (av, kind, index[full]))
    w("};\nconst size_t proto_nkinds = sizeof(proto_kinds) / sizeof(proto_kinds[0]);\n")


if __name__ == "__main__":
    main()
