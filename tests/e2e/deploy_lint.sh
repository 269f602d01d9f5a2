#!/usr/bin/env bash
# Lints deploy/: every YAML and JSON file parses; the Grafana dashboard and the Prometheus rules
# use only the metric families, labels and label values of the metrics contract; the examples
# agree with each other (grace periods vs drain, Secret/ConfigMap/port names, SPIFFE ID vs
# ServiceAccount, the ECS config copy); and, where the tools are installed, the sidecar configs
# pass `mtls-sidecar check-config` and promtool checks the Prometheus files and runs the rule
# unit tests. It installs nothing: python3 with PyYAML (Debian: python3-yaml) is required,
# promtool (Debian: prometheus) and the mtls-sidecar binary are used when present.
#
# usage: tests/e2e/deploy_lint.sh [REPO_ROOT]
#   MTLS_SIDECAR=/path/to/mtls-sidecar  the binary for check-config (default: build/proxy/, PATH)
set -uo pipefail

root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
deploy=$root/deploy
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; }
skip() { echo "skip  $*"; }

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "deploy_lint: python3 with PyYAML is required (Debian: apt-get install python3-yaml)" >&2
  exit 2
fi

# --- parsing, the metrics contract and cross-file consistency (Python) ------------------------
# Prints "ok ..." / "FAIL ..." lines; writes the sidecar configs and the dashboard's queries to
# $tmp for the tool checks below.
python3 - "$deploy" "$tmp" >"$tmp/py.out" 2>&1 <<'PY'
import json, pathlib, re, sys
import yaml

deploy, tmp = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
results = []
def ok(msg): results.append(("ok", msg))
def bad(msg): results.append(("FAIL", msg))
def check(cond, msg, why=""):
    ok(msg) if cond else bad(msg + (f": {why}" if why else ""))

# The metrics contract: family -> labels, and the enumerated label values.
FAMILIES = {
    "mtls_handshakes_total": {"direction", "listener", "result", "reason"},
    "mtls_handshake_duration_seconds": {"direction", "listener"},
    "mtls_handshakes_resumed_total": {"direction", "listener"},
    "mtls_tls_version_total": {"direction", "listener", "version"},
    "mtls_connections_active": {"direction", "listener"},
    "mtls_connections_total": {"direction", "listener"},
    "mtls_bytes_total": {"direction", "listener", "from"},
    "mtls_upstream_connect_failures_total": {"direction", "listener", "reason"},
    "mtls_connections_refused_total": {"direction", "listener", "reason"},
    "mtls_crl_next_update_timestamp_seconds": {"issuer"},
    "mtls_certificate_expiry_timestamp_seconds": {"kind"},
    "mtls_certificate_reloads_total": {"source", "result"},
    "mtls_certificate_last_reload_timestamp_seconds": {"source"},
    "mtls_http_requests_total": {"direction", "listener", "method", "code_class"},
    "mtls_http_request_duration_seconds": {"direction", "listener"},
    "mtls_http_errors_total": {"direction", "listener", "reason"},
    "mtls_upstream_pool_connections": {"listener", "state"},
    "mtls_upstream_pool_reuse_total": {"listener"},
    "mtls_seccomp_denied_total": set(),
}
HISTOGRAMS = {"mtls_handshake_duration_seconds", "mtls_http_request_duration_seconds"}
VALUES = {
    "direction": {"inbound", "outbound"},
    "result": {"success", "failure"},
    "version": {"TLSv1.2", "TLSv1.3"},
    "from": {"downstream", "upstream"},
    "kind": {"identity", "trust"},
    "source": {"file", "local_ca", "acm"},
    "code_class": {"1xx", "2xx", "3xx", "4xx", "5xx"},
    "state": {"idle", "active"},
    "method": {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
               "other"},
}
REASONS = {
    "mtls_handshakes_total": {"ok", "no_peer_cert", "unknown_ca", "expired", "not_yet_valid",
                              "revoked", "bad_certificate", "identity_denied", "protocol_version",
                              "no_shared_cipher", "timeout", "peer_closed", "crl_stale",
                              "truncated", "plaintext", "ocsp_missing", "ocsp_invalid",
                              "spki_mismatch", "other"},
    "mtls_upstream_connect_failures_total": {"refused", "timeout", "unreachable", "dns", "limit",
                                             "original_dst"},
    "mtls_connections_refused_total": {"max_connections", "draining", "accept_error",
                                       "max_connection_age", "trust_changed", "no_identity"},
    "mtls_http_errors_total": {"bad_request", "header_too_large", "body_too_large",
                               "content_length_and_chunked", "bad_content_length",
                               "bad_transfer_encoding", "obs_fold", "space_before_colon",
                               "bare_cr_lf", "bad_header_name", "bad_chunk", "request_timeout",
                               "route_denied", "bad_path", "upstream_failed", "bad_response",
                               "upstream_unavailable"},
}
TARGET_LABELS = {"job", "instance"}   # added by Prometheus at scrape time
ALL_LABELS = set().union(*FAMILIES.values()) | TARGET_LABELS | {"le"}

def family_of(name):
    if name in FAMILIES:
        return name, False
    for h in HISTOGRAMS:
        for suffix in ("_bucket", "_sum", "_count"):
            if name == h + suffix:
                return h, suffix == "_bucket"
    return None, False

NAME = re.compile(r"(?<![A-Za-z0-9_])mtls_[a-z0-9_]+")
SELECTOR = re.compile(r"(?<![A-Za-z0-9_])(mtls_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
TEMPLATE_LABEL = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)")

def check_promql_text(text, where):
    """Metric names, selector labels and values, grouping labels, alert template labels."""
    problems = []
    names = set(NAME.findall(text))
    for name in sorted(names):
        if family_of(name)[0] is None:
            problems.append(f"unknown metric {name}")
    for name, body in SELECTOR.findall(text):
        family, bucket = family_of(name)
        if family is None:
            continue
        allowed = FAMILIES[family] | TARGET_LABELS | ({"le"} if bucket else set())
        for label, op, value in MATCHER.findall(body):
            if label not in allowed:
                problems.append(f"{name} has no label {label}")
                continue
            if op not in ("=", "!=") or "$" in value:
                continue
            values = REASONS.get(family) if label == "reason" else VALUES.get(label)
            if values is not None and value not in values:
                problems.append(f'{name}{{{label}="{value}"}}: not one of {sorted(values)}')
    for _, labels in GROUPING.findall(text):
        for label in filter(None, (l.strip() for l in labels.split(","))):
            if label not in ALL_LABELS:
                problems.append(f"grouping by unknown label {label}")
    for label in TEMPLATE_LABEL.findall(text):
        if label not in ALL_LABELS:
            problems.append(f"template uses unknown label {label}")
    check(not problems, f"{where}: {len(names)} metric names, their labels and values are in the contract",
          "; ".join(sorted(set(problems))))

# 1. Every YAML and JSON file parses.
docs = {}
for path in sorted(deploy.rglob("*")):
    rel = path.relative_to(deploy.parent)
    if path.suffix in (".yaml", ".yml"):
        try:
            docs[path] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
            ok(f"{rel}: YAML parses ({len(docs[path])} document(s))")
        except yaml.YAMLError as e:
            bad(f"{rel}: YAML does not parse: {e}")
    elif path.suffix == ".json":
        try:
            docs[path] = [json.loads(path.read_text())]
            ok(f"{rel}: JSON parses")
        except ValueError as e:
            bad(f"{rel}: JSON does not parse: {e}")

def load(rel):
    return docs.get(deploy / rel) or []

def find(rel, kind):
    return next((d for d in load(rel) if isinstance(d, dict) and d.get("kind") == kind), None)

def duration_seconds(text):
    total, pos = 0.0, 0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", str(text)):
        if m.start() != pos:
            raise ValueError(text)
        total, pos = total + float(m.group(1)) * units[m.group(2)], m.end()
    if pos != len(str(text)) or pos == 0:
        raise ValueError(text)
    return total

def drain_seconds(config):
    limits = (config or {}).get("limits") or {}
    return duration_seconds(limits.get("drain_delay", "5s")) + \
        duration_seconds(limits.get("drain_timeout", "30s"))

# 2. Grafana: the dashboard's shape, and every query against the contract.
dash_path = deploy / "grafana/mtls-sidecar.json"
dash = (docs.get(dash_path) or [None])[0]
if isinstance(dash, dict):
    panels = [p for p in dash.get("panels", []) for p in [p] + p.get("panels", [])]
    ids = [p.get("id") for p in panels]
    check(len(ids) == len(set(ids)) and None not in ids, "grafana: panel ids are unique")
    variables = {v.get("name") for v in dash.get("templating", {}).get("list", [])}
    check({"datasource", "job", "instance", "listener"} <= variables,
          "grafana: template variables datasource, job, instance, listener",
          f"has {sorted(variables)}")
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if "expr" in t]
    untyped = [p.get("title") for p in panels if p.get("type") != "row" and
               (p.get("datasource") or {}).get("uid") != "${datasource}"]
    check(not untyped, "grafana: every panel queries the ${datasource} variable", str(untyped))
    check(len(exprs) >= 10, f"grafana: {len(exprs)} queries")
    def strings(node):  # every string of the decoded JSON: queries, titles, descriptions
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values(): yield from strings(v)
        elif isinstance(node, list):
            for v in node: yield from strings(v)
    check_promql_text("\n".join(strings(dash)), "grafana/mtls-sidecar.json")
    # For promtool: the queries as recording rules, with Grafana's variables filled in.
    rules = []
    for i, e in enumerate(exprs):
        e = re.sub(r"\$__(rate_interval|interval|range)", "5m", e)
        e = re.sub(r"\$[a-z_]+", ".*", e)
        rules.append({"record": f"grafana:query_{i}", "expr": e})
    (tmp / "grafana_rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "grafana", "rules": rules}]}))
else:
    bad("grafana/mtls-sidecar.json: missing")

# 3. Prometheus rules and their tests, against the contract.
for rel in ("prometheus/alerts.yaml", "prometheus/alerts_test.yaml"):
    if (deploy / rel).exists():
        check_promql_text((deploy / rel).read_text(), rel)
    else:
        bad(f"{rel}: missing")
alerts = (load("prometheus/alerts.yaml") or [{}])[0] or {}
rules = [r for g in alerts.get("groups", []) for r in g.get("rules", [])]
incomplete = [r.get("alert") for r in rules if "alert" in r and not (
    r.get("for") and (r.get("labels") or {}).get("severity") in ("critical", "warning", "info")
    and {"summary", "description"} <= set((r.get("annotations") or {}).keys()))]
check(rules and not incomplete,
      f"prometheus/alerts.yaml: {len(rules)} alerts, each with for:, a severity, summary and description",
      str(incomplete))

# 4. Kubernetes: the examples agree with each other.
cm = find("kubernetes/sidecar-configmap.yaml", "ConfigMap")
dep = find("kubernetes/deployment.yaml", "Deployment")
sa = find("kubernetes/deployment.yaml", "ServiceAccount")
svc = find("kubernetes/service.yaml", "Service")
cert = find("kustomize/cert-manager/certificate.yaml", "Certificate")
issuer = find("kustomize/cert-manager/certificate.yaml", "ClusterIssuer")
pm = find("kubernetes/podmonitor.yaml", "PodMonitor")
netpol = find("kubernetes/networkpolicy.yaml", "NetworkPolicy")
if all(x is not None for x in (cm, dep, sa, svc, cert, issuer, pm, netpol)):
    k8s_config = yaml.safe_load(cm["data"]["sidecar.yaml"])
    (tmp / "k8s-sidecar.yaml").write_text(cm["data"]["sidecar.yaml"])
    ok("kubernetes: ConfigMap, ServiceAccount, Deployment, Service, Certificate, ClusterIssuer, "
       "NetworkPolicy and PodMonitor present; the embedded sidecar.yaml parses")
    pod = dep["spec"]["template"]["spec"]
    containers = pod["containers"] + pod.get("initContainers", [])
    sidecar = next((c for c in containers if c["name"] == "mtls-sidecar"), {})
    ports = {p.get("name"): p["containerPort"] for p in sidecar.get("ports", [])}
    grace, drain = pod.get("terminationGracePeriodSeconds", 30), drain_seconds(k8s_config)
    check(grace > drain, f"kubernetes: terminationGracePeriodSeconds {grace} > drain_delay + drain_timeout {drain:g}s")
    sec = sidecar.get("securityContext", {})
    check(sec.get("runAsNonRoot") is True and sec.get("readOnlyRootFilesystem") is True and
          sec.get("allowPrivilegeEscalation") is False and
          sec.get("capabilities", {}).get("drop") == ["ALL"],
          "kubernetes: sidecar runs non-root, read-only root, no privilege escalation, no capabilities")
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in sidecar.get("volumeMounts", [])}
    secret_vol = next((v for v in vols.values() if "secret" in v), {})
    check(secret_vol.get("secret", {}).get("secretName") == cert["spec"]["secretName"],
          "kubernetes: the Deployment mounts the Secret the Certificate writes")
    check(all("subPath" not in m for m in sidecar.get("volumeMounts", [])),
          "kubernetes: no subPath mounts (they never see Secret updates)")
    file_id = k8s_config["identity"]["file"]
    cert_dir = str(pathlib.PurePosixPath(file_id["cert"]).parent)
    check(cert_dir in mounts and mounts[cert_dir]["name"] == secret_vol.get("name") and
          mounts[cert_dir].get("readOnly") is True,
          f"kubernetes: identity.file paths lie in the read-only Secret mount {cert_dir}")
    cm_vol = next((v for v in vols.values() if "configMap" in v), {})
    check(cm_vol.get("configMap", {}).get("name") == cm["metadata"]["name"],
          "kubernetes: the Deployment mounts the ConfigMap")
    spiffe = f"spiffe://cluster.local/ns/{dep['metadata']['namespace']}/sa/{pod.get('serviceAccountName')}"
    check(cert["spec"].get("uris") == [spiffe] and sa["metadata"]["name"] == pod.get("serviceAccountName"),
          f"kubernetes: the Certificate's only URI SAN is the pod's ServiceAccount identity {spiffe}")
    check(cert["spec"]["issuerRef"].get("name") == issuer["metadata"]["name"],
          "kubernetes: the Certificate's issuerRef names the ClusterIssuer")
    inbound_port = int(k8s_config["inbound"][0]["listen"].rsplit(":", 1)[1])
    admin_port = int(k8s_config["admin"]["listen"].rsplit(":", 1)[1])
    svc_port = svc["spec"]["ports"][0]
    target = svc_port.get("targetPort")
    check(ports.get(target, target) == inbound_port and svc_port.get("name") == "mtls",
          f"kubernetes: Service port 'mtls' targets the inbound listener :{inbound_port}")
    probe_ports = [ports.get(p, p) for p in (sidecar["readinessProbe"]["httpGet"]["port"],
                                             sidecar["livenessProbe"]["httpGet"]["port"])]
    check(sidecar["readinessProbe"]["httpGet"]["path"] == "/ready" and
          sidecar["livenessProbe"]["httpGet"]["path"] == "/healthz" and
          probe_ports == [admin_port, admin_port] and
          k8s_config["admin"]["listen"].startswith("0.0.0.0:"),
          f"kubernetes: probes GET /ready and /healthz on admin :{admin_port}, which listens beyond loopback")
    mode = secret_vol.get("secret", {}).get("defaultMode", 0o644)
    check(mode & 0o077 == 0 and pod.get("securityContext", {}).get("fsGroup") == sec.get("runAsGroup"),
          f"kubernetes: the Secret volume's defaultMode {mode:#o} grants nothing beyond its owner; "
          "fsGroup is the sidecar's group (the kubelet's group read)")
    native = find("kubernetes/deployment-native-sidecar.yaml", "Deployment")
    if native is None:
        bad("kubernetes: deployment-native-sidecar.yaml has no Deployment")
    else:
        npod = native["spec"]["template"]["spec"]
        nside = next((c for c in npod.get("initContainers", []) if c["name"] == "mtls-sidecar"), {})
        def normalized(c):  # the sidecar minus what the two orderings set differently
            c = json.loads(json.dumps(c))
            for k in ("restartPolicy", "startupProbe", "lifecycle"):
                c.pop(k, None)
            for probe in ("readinessProbe", "livenessProbe"):
                if "httpGet" in c.get(probe, {}):
                    port = c[probe]["httpGet"]["port"]
                    c[probe]["httpGet"]["port"] = ports.get(port, port)
            return c
        start = nside.get("startupProbe", {})
        check(nside.get("restartPolicy") == "Always" and
              all(c["name"] != "mtls-sidecar" for c in npod["containers"]) and
              start.get("httpGet", {}).get("path") == "/ready" and
              ports.get(start["httpGet"].get("port"), start["httpGet"].get("port")) == admin_port,
              "kubernetes: native variant: the sidecar is an init container with restartPolicy "
              "Always whose startupProbe GETs /ready (the app starts after it passes)")
        check(normalized(nside) == normalized(sidecar) and npod["volumes"] == pod["volumes"] and
              npod["containers"] == [c for c in pod["containers"] if c["name"] != "mtls-sidecar"] and
              native["metadata"] == dep["metadata"] and
              npod.get("serviceAccountName") == pod.get("serviceAccountName"),
              "kubernetes: native variant: the same sidecar, app, volumes and names as deployment.yaml")
        ngrace = npod.get("terminationGracePeriodSeconds", 30)
        check(ngrace > drain + 10,
              f"kubernetes: native variant: terminationGracePeriodSeconds {ngrace} > the app's "
              f"shutdown (10s) + the sidecar's drain {drain:g}s, which come one after the other")
    tcm = find("kubernetes/deployment-transparent.yaml", "ConfigMap")
    tdep = find("kubernetes/deployment-transparent.yaml", "Deployment")
    if tcm is None or tdep is None:
        bad("kubernetes: deployment-transparent.yaml needs a ConfigMap and a Deployment")
    else:
        (tmp / "k8s-transparent-sidecar.yaml").write_text(tcm["data"]["sidecar.yaml"])
        tconf = yaml.safe_load(tcm["data"]["sidecar.yaml"])
        tpod = tdep["spec"]["template"]["spec"]
        inits = {c["name"]: c for c in tpod.get("initContainers", [])}
        redirect, tside = inits.get("mtls-redirect", {}), inits.get("mtls-sidecar", {})
        args = redirect.get("args", [])
        opt = lambda name: [args[i + 1] for i, a in enumerate(args[:-1]) if a == name]
        uid = (tside.get("securityContext") or {}).get("runAsUser")
        caps = ((redirect.get("securityContext") or {}).get("capabilities") or {}).get("add", [])
        in_ports = {int(l["listen"].rsplit(":", 1)[1]) for l in tconf.get("inbound", [])}
        odst_ports = {int(l["listen"].rsplit(":", 1)[1]) for l in tconf.get("outbound", [])
                      if l.get("forward") == "original_dst"}
        check(list(inits)[:1] == ["mtls-redirect"] and "NET_ADMIN" in caps and
              opt("--sidecar-uid") == [str(uid)] and
              {int(r.split(":")[1]) for r in opt("--inbound")} <= in_ports and
              {int(p) for p in opt("--outbound-all")} <= odst_ports and opt("--outbound-all") and
              all((c.get("securityContext") or {}).get("runAsUser") != uid for c in tpod["containers"]),
              "kubernetes: transparent variant: mtls-redirect runs first with NET_ADMIN, excludes the "
              "sidecar's uid, redirects to its inbound and original_dst listeners; the app runs as another uid")
        check(tpod["volumes"][-1]["configMap"]["name"] == tcm["metadata"]["name"] and
              tside.get("restartPolicy") == "Always",
              "kubernetes: transparent variant: the sidecar (native) mounts its own ConfigMap")
    ep = pm["spec"]["podMetricsEndpoints"][0]
    check(ports.get(ep.get("port")) == admin_port and ep.get("path", "/metrics") == "/metrics" and
          any(r.get("targetLabel") == "job" and r.get("replacement") == "mtls-sidecar"
              for r in ep.get("relabelings", [])),
          "kubernetes: PodMonitor scrapes the admin port as job=\"mtls-sidecar\"")
    np_ports = [{p.get("port") for p in rule.get("ports", [])} | {ports.get(p.get("port"))
                for p in rule.get("ports", [])} for rule in netpol["spec"]["ingress"]]
    admin_rules = [r for r, ps in zip(netpol["spec"]["ingress"], np_ports) if admin_port in ps]
    check(admin_rules and all(r.get("from") for r in admin_rules) and
          not any(8080 in ps for ps in np_ports),
          "kubernetes: NetworkPolicy admits the admin port only from listed sources, the app port from nowhere")
else:
    bad("kubernetes: a manifest is missing")

# 5. ECS: the task definition and its config.
td = (load("ecs/task-definition.json") or [None])[0]
ecs_config_path = deploy / "ecs/sidecar.yaml"
if isinstance(td, dict) and ecs_config_path.exists():
    ecs_config = yaml.safe_load(ecs_config_path.read_text())
    (tmp / "ecs-sidecar.yaml").write_text(ecs_config_path.read_text())
    byname = {c["name"]: c for c in td["containerDefinitions"]}
    sidecar = byname.get("mtls-sidecar", {})
    env = {e["name"]: e["value"] for c in td["containerDefinitions"] for e in c.get("environment", [])}
    check(env.get("MTLS_SIDECAR_CONFIG") == ecs_config_path.read_text(),
          "ecs: MTLS_SIDECAR_CONFIG in task-definition.json is ecs/sidecar.yaml verbatim")
    deps_ok = all(d["containerName"] in byname and d["condition"] in ("START", "COMPLETE", "SUCCESS", "HEALTHY")
                  for c in td["containerDefinitions"] for d in c.get("dependsOn", []))
    check(deps_ok and {"containerName": "mtls-sidecar", "condition": "HEALTHY"} in byname.get("app", {}).get("dependsOn", []),
          "ecs: dependsOn names existing containers; the app waits for the sidecar to be HEALTHY")
    hc = sidecar.get("healthCheck", {}).get("command", [])
    check(hc[:3] == ["CMD", "mtls-sidecar", "probe"] and hc[-1] == f"http://{ecs_config['admin']['listen']}/ready",
          "ecs: the health check is `mtls-sidecar probe` of /ready on the admin port (no shell, no curl)")
    stop, drain = sidecar.get("stopTimeout", 30), drain_seconds(ecs_config)
    check(stop > drain and stop <= 120,
          f"ecs: sidecar stopTimeout {stop} > drain_delay + drain_timeout {drain:g}s (Fargate max 120)")
    check(td.get("networkMode") == "awsvpc" and sidecar.get("essential") is True and
          sidecar.get("readonlyRootFilesystem") is True and
          str(sidecar.get("user", "0")).split(":")[0] not in ("", "0", "root"),
          "ecs: awsvpc; the sidecar is essential, non-root, read-only root")
    check(ecs_config["identity"]["source"] == "acm", "ecs: identity from ACM")
    policy = (load("ecs/task-role-policy.json") or [{}])[0]
    actions = {a for s in policy.get("Statement", []) for a in
               (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    arns = {s.get("Resource") for s in policy.get("Statement", [])}
    check({"acm:ExportCertificate", "acm:DescribeCertificate"} <= actions and
          ecs_config["identity"]["acm"]["certificate_arn"] in arns,
          "ecs: the task role may export and describe exactly the configured certificate")
else:
    bad("ecs: task-definition.json or sidecar.yaml missing")

# 6. The container files: Dockerfile.prebuilt is Dockerfile's runtime stage around an outside
# binary, instruction for instruction; both health-check with `mtls-sidecar probe`.
def instructions(path, last_stage):
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [re.sub(r"\s+", " ", l).strip() for l in text.splitlines()]
    lines = [l for l in lines if l and not l.startswith("#")]
    if last_stage:
        lines = lines[max(i for i, l in enumerate(lines) if l.startswith("FROM ")):]
    return [re.sub(r"^COPY (--from=\S+ )?\S+ ", "COPY SRC ", l) for l in lines]
container = deploy / "container"
full = instructions(container / "Dockerfile", True)
pre = instructions(container / "Dockerfile.prebuilt", True)
check(full == pre, "container: Dockerfile.prebuilt is Dockerfile's runtime stage, the COPY source aside",
      str([l for l in full if l not in pre] + [l for l in pre if l not in full]))
check(any(l.startswith("HEALTHCHECK ") and '"mtls-sidecar", "probe"' in l and "/ready" in l for l in full) and
      "USER 65532:65532" in full,
      "container: USER 65532:65532; HEALTHCHECK runs `mtls-sidecar probe` of /ready")

# 7. The Prometheus config scrapes the job the rules select.
prom = (load("prometheus/prometheus.yml") or [{}])[0] or {}
jobs = [s.get("job_name") for s in prom.get("scrape_configs", [])]
check("mtls-sidecar" in jobs and "alerts.yaml" in prom.get("rule_files", []),
      "prometheus/prometheus.yml: job mtls-sidecar, rule_files [alerts.yaml]")

# 8. kustomize: the base and its overlays name what exists, and the secret overlay makes the
#    Secret the Deployment mounts, with the files the sidecar reads (rendering: deploy_schema.sh).
kbase = (load("kubernetes/kustomization.yaml") or [{}])[0] or {}
check({"deployment.yaml", "sidecar-configmap.yaml"} <= set(kbase.get("resources", [])),
      "kustomize: the base (kubernetes/kustomization.yaml) holds the Deployment and the ConfigMap")
for kpath in sorted(deploy.glob("**/kustomization.yaml")):
    k = (docs.get(kpath) or [{}])[0] or {}
    rel = kpath.relative_to(deploy.parent)
    missing = [r for r in k.get("resources", [])
               if not (kpath.parent / r).is_file() and
               not (kpath.parent / r / "kustomization.yaml").is_file()]
    check(not missing, f"{rel}: every resource exists", f"missing: {missing}")
ksecret = (load("kustomize/secret/kustomization.yaml") or [{}])[0] or {}
gen = next(iter(ksecret.get("secretGenerator", [])), {})
ignored = set((deploy / "kustomize/secret/.gitignore").read_text().split()) \
    if (deploy / "kustomize/secret/.gitignore").is_file() else set()
if dep and cm:
    vols = dep["spec"]["template"]["spec"].get("volumes", [])
    mounted = next((v["secret"]["secretName"] for v in vols if "secret" in v), None)
    k8s_config = yaml.safe_load(cm["data"]["sidecar.yaml"])
    wanted = {pathlib.Path(k8s_config["identity"]["file"]["cert"]).name,
              pathlib.Path(k8s_config["identity"]["file"]["key"]).name,
              pathlib.Path(k8s_config["trust"]["ca_bundle"]).name}
    files = set(gen.get("files", []))
    check(gen.get("name") == mounted and gen.get("options", {}).get("disableNameSuffixHash") is True,
          f"kustomize/secret: generates the Secret {mounted} the Deployment mounts, under that one name")
    check(files == wanted and files <= ignored,
          f"kustomize/secret: the Secret holds {sorted(wanted)}, the files the sidecar reads, and git ignores them",
          f"files {sorted(files)}, .gitignore {sorted(ignored)}")
kcm = (load("kustomize/cert-manager/kustomization.yaml") or [{}])[0] or {}
check("certificate.yaml" in kcm.get("resources", []) and cert is not None,
      "kustomize/cert-manager: adds the Certificate that writes the Secret")

for status, msg in results:
    print(f"{status:<5} {msg}")
PY
py_rc=$?
cat "$tmp/py.out"
if [ $py_rc -ne 0 ]; then bad "python checks crashed (exit $py_rc)"; fi
passed=$((passed + $(grep -c '^ok ' "$tmp/py.out" || true)))
failed=$((failed + $(grep -c '^FAIL ' "$tmp/py.out" || true)))

# --- the sidecar's own config check ----------------------------------------------------------
sidecar_bin=${MTLS_SIDECAR:-}
if [ -z "$sidecar_bin" ]; then
  if [ -x "$root/build/proxy/mtls-sidecar" ]; then sidecar_bin=$root/build/proxy/mtls-sidecar
  else sidecar_bin=$(command -v mtls-sidecar || true); fi
fi
for cfg in k8s-sidecar.yaml k8s-transparent-sidecar.yaml ecs-sidecar.yaml; do
  [ -f "$tmp/$cfg" ] || continue
  if [ -z "$sidecar_bin" ]; then skip "$cfg: mtls-sidecar check-config (no binary; set MTLS_SIDECAR)"; continue; fi
  # Schema only: the files they name exist in the pod or task, not here.
  if out=$("$sidecar_bin" check-config --schema-only --config "$tmp/$cfg" 2>&1); then
    ok "$cfg: mtls-sidecar check-config: ${out##*: }"
  else
    bad "$cfg: mtls-sidecar check-config: $out"
  fi
done

# --- promtool --------------------------------------------------------------------------------
if command -v promtool >/dev/null; then
  run_promtool() {  # description, args...
    local what=$1; shift
    if out=$(promtool "$@" 2>&1); then ok "promtool $what"; else bad "promtool $what:"; echo "$out"; fi
  }
  run_promtool "check rules prometheus/alerts.yaml" check rules "$deploy/prometheus/alerts.yaml"
  run_promtool "check config prometheus/prometheus.yml" check config "$deploy/prometheus/prometheus.yml"
  run_promtool "test rules prometheus/alerts_test.yaml" test rules "$deploy/prometheus/alerts_test.yaml"
  if [ -f "$tmp/grafana_rules.yaml" ]; then
    run_promtool "parses every Grafana query" check rules "$tmp/grafana_rules.yaml"
  fi
else
  skip "promtool checks (promtool not installed; Debian: prometheus)"
fi

echo "deploy_lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
