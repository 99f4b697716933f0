#!/usr/bin/env python3
"""dist/kubernetes/atoll.yaml and dist/Containerfile, checked against each other and against what
atoll serve does. No cluster or image builder is reachable here: this parses the YAML (PyYAML,
Debian's python3-yaml) and checks the settings an operator would otherwise find wrong in
production: probes on the admin port with the right paths, ports that match the arguments, a
grace period longer than preStop + drain delay + drain timeout, a non-root read-only container
whose only writable path is the compile cache, resources, selectors, the HPA's target, and that
the embedded atoll.toml is accepted by `atoll serve` itself (its config parser).

    manifests_test.py ATOLL DIST_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

atoll, dist = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


with open(os.path.join(dist, "kubernetes", "atoll.yaml")) as f:
    docs = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
for kind in ("Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
    check(kind in docs, f"no {kind}")
dep = docs["Deployment"]
pod = dep["spec"]["template"]["spec"]
(c,) = pod["containers"]
args = c["args"]


def arg(flag):
    return args[args.index(flag) + 1] if flag in args else None


ports = {p["name"]: p["containerPort"] for p in c["ports"]}
check(arg("--addr") == f"0.0.0.0:{ports.get('http')}", f"--addr {arg('--addr')} is not the http port {ports.get('http')}")
check(arg("--admin-addr") == f"0.0.0.0:{ports.get('admin')}", "--admin-addr is not the admin port")
check(c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}, "readiness probe is not /readyz on admin")
check(c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}, "liveness probe is not /healthz on admin")
check(c["startupProbe"]["httpGet"]["port"] == "admin", "startup probe is not on the admin port")

# The grace period covers preStop, the drain delay and the drain timeout (config, default 30 s).
pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
check(pre_stop[0] == "/bin/sleep", "preStop is not a sleep")
sleep_s = float(pre_stop[1])
delay_s = float(arg("--drain-delay-ms") or 0) / 1000
config_text = docs["ConfigMap"]["data"]["atoll.toml"]
m = re.search(r"^drain_timeout_ms\s*=\s*(\d+)", config_text, re.M)
drain_s = int(m.group(1)) / 1000 if m else 30
grace = pod["terminationGracePeriodSeconds"]
check(grace > sleep_s + delay_s + drain_s, f"terminationGracePeriodSeconds {grace} <= {sleep_s} + {delay_s} + {drain_s}")

# Non-root, read-only root filesystem; the only writable mounts are the compile cache, where the
# image's XDG_CACHE_HOME points, and /tmp for the routes' scratch directories.
sc, psc = c["securityContext"], pod["securityContext"]
check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, "pod may run as root")
check(sc.get("readOnlyRootFilesystem") is True, "root filesystem is writable")
check(sc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
writable = [p for p, m in mounts.items() if not m.get("readOnly")]
with open(os.path.join(dist, "Containerfile")) as f:
    containerfile = f.read()
cache_env = re.search(r"^ENV XDG_CACHE_HOME=(\S+)", containerfile, re.M)
check(cache_env is not None, "the Containerfile sets no XDG_CACHE_HOME")
check(cache_env and sorted(writable) == sorted([cache_env.group(1), "/tmp"]),
      f"writable mounts {writable} are not just the cache and /tmp (scratch directories)")
config_path = arg("--config")
check(any(config_path.startswith(p + "/") for p in mounts), f"--config {config_path} is on no mount")

# The Containerfile: non-root, the ports the manifest uses, the binaries the runtime needs.
user = re.search(r"^USER (\S+)", containerfile, re.M)
check(user and not user.group(1).startswith(("0", "root")), "the image runs as root")
check(user and user.group(1).split(":")[0] == str(psc["runAsUser"]), "image user and runAsUser differ")
exposed = set(re.findall(r"^EXPOSE (.+)$", containerfile, re.M)[0].split()) if "EXPOSE" in containerfile else set()
check({str(p) for p in ports.values()} <= exposed, f"ports {ports} not all EXPOSEd ({exposed})")
for binary in ("atoll", "libatoll-compiler.so", "atoll-compile-worker"):
    check(f"/build/{binary}" in containerfile, f"the image lacks {binary}")
check(re.search(r"^FROM debian:bookworm-slim", containerfile, re.M) is not None, "runtime stage is not bookworm-slim")

# Resources, selectors, Service, PDB, HPA.
res = c["resources"]
check("cpu" in res["requests"] and "memory" in res["requests"] and "memory" in res["limits"], "resources incomplete")
labels = dep["spec"]["template"]["metadata"]["labels"]
for kind in ("Deployment", "PodDisruptionBudget"):
    sel = docs[kind]["spec"]["selector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()), f"{kind} selector does not match the pod labels")
svc = docs["Service"]["spec"]
check(all(labels.get(k) == v for k, v in svc["selector"].items()), "Service selector does not match the pod labels")
check(all(p["targetPort"] in ports for p in svc["ports"]), "Service targets a port the container does not name")
check(docs["PodDisruptionBudget"]["spec"]["minAvailable"] < dep["spec"]["replicas"], "PDB blocks every disruption")
hpa = docs["HorizontalPodAutoscaler"]["spec"]
check(hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": dep["metadata"]["name"]},
      "HPA does not target the Deployment")
check(hpa["metrics"][0]["resource"]["name"] == "cpu", "HPA is not on CPU")
check(hpa["minReplicas"] <= dep["spec"]["replicas"] <= hpa["maxReplicas"], "replicas outside the HPA's range")
vol_names = {v["name"] for v in pod["volumes"]}
check({m["name"] for m in c["volumeMounts"]} <= vol_names, "a mount names no volume")
check(any(v.get("configMap", {}).get("name") == docs["ConfigMap"]["metadata"]["name"] for v in pod["volumes"]),
      "the ConfigMap is not mounted")

# The embedded atoll.toml is a config atoll serve accepts (its modules are not here: a module
# that cannot be found is the only error allowed, and it must name the expected path).
with tempfile.TemporaryDirectory() as d:
    os.makedirs(os.path.join(d, "config"))
    with open(os.path.join(d, "config", "atoll.toml"), "w") as f:
        f.write(config_text)
    r = subprocess.run([atoll, "serve", "--config", os.path.join(d, "config", "atoll.toml"), "--addr", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, XDG_CACHE_HOME=d))
    check(r.returncode == 1 and "modules/hello.wasm: No such file" in r.stderr and "atoll.toml:" not in r.stderr,
          f"atoll serve on the embedded config: exit {r.returncode}: {r.stderr.strip()}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("manifests: all passed")
