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
             "nullable": f[5], "go": f[0][0].upper() + f[0][1:]} for f in fl]}
    return msgs


def package_of(api_version):
    group, _, version = api_version.rpartition("/")
    if group == "apiregistration.k8s.io":
        return AGG.rstrip(".")
    return "k8s.io.api.%s.%s" % (PKG_DIR.get(group, group), version)


def main():
    msgs = load(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/kubectl")
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
        for f in msgs[name]["fields"]:
            tn = (f["type_name"] or "").lstrip(".")
            flags = []
            if f["label"] == 3:
                flags.append("PROTO_REPEATED")
            if f["nullable"] and f["type"] != 11 and f["label"] != 3:
                flags.append("PROTO_POINTER")
            if f["nullable"] and f["type"] == 11 and tn in SPECIAL:
                flags.append("PROTO_POINTER")
            if (short, f["name"]) in INLINE:
                flags.append("PROTO_INLINE")
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
