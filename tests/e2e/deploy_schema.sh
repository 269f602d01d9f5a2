#!/usr/bin/env bash
# Validates deploy/ against the schemas of the systems that read it, offline (no cluster, no AWS):
#   - every Kubernetes document (any YAML document with apiVersion and kind) against the
#     Kubernetes OpenAPI schemas, cert-manager's and prometheus-operator's CRDs
#     (deploy_schema/validate_k8s.js: the schema validators plus TypeScript's excess-property
#     check, so a misspelled field name fails);
#   - the kustomize overlays of deploy/kustomize/ as `kubectl kustomize` renders them, when
#     kubectl is installed (Debian has no usable kubectl, so CI validates their inputs only);
#   - every ECS task definition against the RegisterTaskDefinition input shape of botocore's
#     ECS model (deploy_schema/validate_ecs.py).
# Then the negative controls: copies with one misspelled field name (and one wrong type) must
# each fail, or the check above proves nothing.
#
# Needs python3 with PyYAML and botocore, node, and the pinned npm packages of
# deploy_schema/package-lock.json installed by scripts/deps.sh into $MTLS_SCHEMA_PREFIX
# (default /usr/local/lib/mtls-sidecar-schema). Exits 77 (skip) when one is missing.
#
# usage: tests/e2e/deploy_schema.sh [ignored]   (ctest passes the binary; this needs none)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${MTLS_SCHEMA_PREFIX:-/usr/local/lib/mtls-sidecar-schema}
skip() { echo "deploy_schema: SKIP: $*" >&2; exit 77; }

command -v node >/dev/null || skip "node is not installed (scripts/deps.sh installs it)"
python3 -c 'import yaml, botocore' 2>/dev/null ||
  skip "python3 needs PyYAML and botocore (Debian: python3-yaml python3-botocore)"
cmp -s "$here/deploy_schema/package-lock.json" "$prefix/.installed-lock.json" ||
  skip "the npm packages of tests/e2e/deploy_schema/package-lock.json are not installed in $prefix (run scripts/deps.sh)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The kustomize overlays, rendered from a copy: the secret overlay's files are yours to provide
# (git-ignored), and kustomize only needs them to exist.
: >"$tmp/render.out"
mkdir -p "$tmp/rendered"
if command -v kubectl >/dev/null; then
  cp -r "$root/deploy" "$tmp/deploy"
  for f in tls.crt tls.key ca.crt; do echo placeholder >"$tmp/deploy/kustomize/secret/$f"; done
  for overlay in "$tmp"/deploy/kustomize/*/; do
    name=$(basename "$overlay")
    if ! kubectl kustomize "$overlay" >"$tmp/rendered/$name.yaml" 2>"$tmp/rendered/$name.err"; then
      echo "FAIL  kubectl kustomize deploy/kustomize/$name: $(cat "$tmp/rendered/$name.err")" >>"$tmp/render.out"
    fi
  done
else
  echo "note  kubectl is not installed: the kustomize overlays are not rendered (their files are validated as they are)" >>"$tmp/render.out"
fi

# The documents, and the negative controls made from them.
python3 - "$root" "$tmp" <<'PY' || { echo "FAIL  could not collect the documents"; exit 1; }
import copy, json, pathlib, sys
import yaml

root, tmp = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
k8s, ecs = [], []
for path in sorted((root / "deploy").rglob("*")):
    rel = str(path.relative_to(root))
    if path.suffix in (".yaml", ".yml"):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            # kustomize's own files are inputs to kustomize, not API objects.
            if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc and \
                    not doc["apiVersion"].startswith("kustomize.config.k8s.io/"):
                k8s.append({"where": f"{rel}#{i}", "doc": doc})
    elif path.suffix == ".json":
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and "containerDefinitions" in doc:
            ecs.append({"where": rel, "doc": doc})
for path in sorted((tmp / "rendered").glob("*.yaml")):
    for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
        if isinstance(doc, dict):
            k8s.append({"where": f"kubectl kustomize deploy/kustomize/{path.stem}#{i}", "doc": doc})

def first(docs, kind):
    return next(d["doc"] for d in docs if d["doc"].get("kind") == kind)

def control(docs, where, doc, path, key, value, expect):
    """A copy of doc with `key: value` set in the object at path. A key spelled the same but for
    case is renamed (it goes; value None keeps its value), as a typo would."""
    doc = copy.deepcopy(doc)
    node = doc
    for step in path:
        node = node[step]
    for k in list(node):
        if k.lower() == key.lower() and k != key:
            old = node.pop(k)
            value = old if value is None else value
    node[key] = value
    docs.append({"where": where, "doc": doc, "expect": expect})

kc, ec = [], []
dep = first(k8s, "Deployment")
control(kc, "control: Deployment container readOnlyRootFileSystem", dep,
        ["spec", "template", "spec", "containers", 0, "securityContext"],
        "readOnlyRootFileSystem", None, "readOnlyRootFileSystem")
control(kc, "control: Deployment pod spec terminationGracePeriod", dep,
        ["spec", "template", "spec"], "terminationGracePeriod", 45, "terminationGracePeriod")
control(kc, "control: Deployment replicas as a string", dep, ["spec"], "replicas", "2", "replicas")
control(kc, "control: Certificate secretname", first(k8s, "Certificate"), ["spec"],
        "secretname", "web-mtls", "secretname")
control(kc, "control: PodMonitor relabelling", first(k8s, "PodMonitor"),
        ["spec", "podMetricsEndpoints", 0], "relabelling", [], "relabelling")
control(kc, "control: NetworkPolicy policyType", first(k8s, "NetworkPolicy"), ["spec"],
        "policyType", ["Ingress"], "policyType")
# The transparent variant's init container: its capabilities are what makes the redirect work.
transparent = next(d["doc"] for d in k8s
                   if d["where"].startswith("deploy/kubernetes/deployment-transparent.yaml") and
                   d["doc"].get("kind") == "Deployment")
control(kc, "control: transparent init container capabilites", transparent,
        ["spec", "template", "spec", "initContainers", 0, "securityContext"],
        "capabilites", {"add": ["NET_ADMIN"]}, "capabilites")
td = ecs[0]["doc"] if ecs else {}
if td:
    control(ec, "control: ECS readOnlyRootFilesystem", td, ["containerDefinitions", 1],
            "readOnlyRootFilesystem", None, "readOnlyRootFilesystem")
    control(ec, "control: ECS networkmode", td, [], "networkmode", "awsvpc", "networkmode")
    control(ec, "control: ECS healthCheck interval as a string", td,
            ["containerDefinitions", 1, "healthCheck"], "interval", "5", "interval")
    control(ec, "control: ECS dependsOn condition", td, ["containerDefinitions", 2, "dependsOn", 0],
            "condition", "READY", "condition")
for name, value in (("k8s", k8s), ("ecs", ecs), ("k8s_controls", kc), ("ecs_controls", ec)):
    (tmp / f"{name}.json").write_text(json.dumps(value))
print(f"collected {len(k8s)} Kubernetes documents, {len(ecs)} ECS task definitions, "
      f"{len(kc) + len(ec)} negative controls", file=sys.stderr)
PY

passed=0
failed=0
count() {  # output of a validator: add its ok/FAIL lines to the totals
  cat "$1"
  passed=$((passed + $(grep -c '^ok ' "$1" || true)))
  failed=$((failed + $(grep -c '^FAIL ' "$1" || true)))
}

count "$tmp/render.out"
node "$here/deploy_schema/validate_k8s.js" "$prefix/node_modules" "$tmp/k8s.json" >"$tmp/k8s.out" 2>&1
k8s_rc=$?
count "$tmp/k8s.out"
python3 "$here/deploy_schema/validate_ecs.py" "$tmp/ecs.json" >"$tmp/ecs.out" 2>&1
ecs_rc=$?
count "$tmp/ecs.out"
[ $k8s_rc -eq 0 ] || [ "$(grep -c '^FAIL ' "$tmp/k8s.out")" -gt 0 ] || { echo "FAIL  validate_k8s.js crashed"; failed=$((failed + 1)); }
[ $ecs_rc -eq 0 ] || [ "$(grep -c '^FAIL ' "$tmp/ecs.out")" -gt 0 ] || { echo "FAIL  validate_ecs.py crashed"; failed=$((failed + 1)); }
[ "$(grep -cE '^(ok|FAIL) ' "$tmp/k8s.out")" -ge 8 ] || { echo "FAIL  fewer Kubernetes documents than deploy/kubernetes holds"; failed=$((failed + 1)); }

# Negative controls: each copy must FAIL, naming the field that was broken.
node "$here/deploy_schema/validate_k8s.js" "$prefix/node_modules" "$tmp/k8s_controls.json" >"$tmp/kc.out" 2>&1
python3 "$here/deploy_schema/validate_ecs.py" "$tmp/ecs_controls.json" >"$tmp/ec.out" 2>&1
python3 - "$tmp" <<'PY' >"$tmp/controls.out"
import json, pathlib, sys
tmp = pathlib.Path(sys.argv[1])
for controls, out in (("k8s_controls", "kc.out"), ("ecs_controls", "ec.out")):
    lines = (tmp / out).read_text().splitlines()
    for c in json.loads((tmp / f"{controls}.json").read_text()):
        line = next((l for l in lines if l[6:].startswith(c["where"] + ":")), "")
        if line.startswith("FAIL") and c["expect"] in line[6 + len(c["where"]):]:
            print(f"ok    negative {c['where']}: rejected ({line.split(': ', 2)[-1][:160]})")
        else:
            print(f"FAIL  negative {c['where']}: accepted, or rejected without naming {c['expect']}: {line!r}")
PY
count "$tmp/controls.out"

echo "deploy_schema: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
