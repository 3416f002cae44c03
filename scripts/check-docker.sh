#!/usr/bin/env bash
# Offline check of the deployment files, for machines without a Docker engine:
#
#   bash scripts/check-docker.sh
#
# 1. docker/compose.yaml: `docker compose config -q` where the compose plugin exists; always a structural check in Python
#    (services, builds, healthchecks, depends_on, and the configuration contract of docs/deployment.md).
# 2. Each Dockerfile in docker/: every COPY source exists and is not excluded by .dockerignore; the project it restores and
#    publishes exists; the project files copied before `dotnet restore` cover the ProjectReference closure of that project
#    (read from the .csproj files, so a new reference shows up here); the sources of the closure are copied before
#    `dotnet publish`; base images, ENTRYPOINT, libgomp1 where TorchSharp is in the closure, no ASP.NET Core project on the
#    plain runtime image.
# 3. Every service in compose that builds has its Dockerfile, and all six services and the node have one.
# 4. The Aspire AppHost (aspire/), which the solution builds and tests/AppHost.Tests runs: it references every service and
#    the CLI, declares the connection-string resources the services read, and is in the solution.
#
# Exit status 0 when everything holds; 1 with one line per problem otherwise. Needs python3 with PyYAML.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
if docker compose version >/dev/null 2>&1; then
  echo "== docker compose config -q"
  if docker compose -f docker/compose.yaml config -q; then echo "ok"; else echo "FAIL: docker compose config rejected docker/compose.yaml"; status=1; fi
else
  echo "== docker compose: not available on this machine (no compose plugin); the Python structural check below stands in"
fi

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "FAIL: python3 with PyYAML is needed (pip install pyyaml)"
  exit 1
fi

python3 - <<'PY' || status=1
import base64
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ET

import yaml

ROOT = os.getcwd()
SERVICES = ["Registry", "Selector", "Aggregation", "PrivacyAccounting", "ModelRegistry", "Reward", "Gateway", "Dashboard", "Edge"]
# The edge answers HTTPS only, on 8443 (ASPNETCORE_URLS replaces the image's plain port); every other service plain HTTP on 8080.
HTTPS_ONLY = {"Edge": ("ASPNETCORE_URLS=https://+:8443", "8443")}
problems = []
warnings = []


def fail(message):
    problems.append(message)


def warn(message):
    warnings.append(message)


def rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


# ------------------------------------------------------------------------------------------------------------ projects
def read_xml(path):
    try:
        return ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        fail(f"{rel(path)}: cannot read as MSBuild XML: {e}")
        return None


def local(tag):
    return tag.rsplit("}", 1)[-1]


def project_refs(csproj):
    root = read_xml(os.path.join(ROOT, csproj))
    if root is None:
        return []
    out = []
    for e in root.iter():
        if local(e.tag) == "ProjectReference" and e.get("Include"):
            target = os.path.normpath(os.path.join(os.path.dirname(csproj), e.get("Include").replace("\\", "/")))
            out.append(target.replace(os.sep, "/"))
    return out


def closure(csproj):
    seen, stack = [], [csproj]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.append(p)
        if not os.path.isfile(os.path.join(ROOT, p)):
            fail(f"{p}: referenced project does not exist")
            continue
        stack.extend(project_refs(p))
    return sorted(seen)


def assembly_name(csproj):
    root = read_xml(os.path.join(ROOT, csproj))
    if root is not None:
        for e in root.iter():
            if local(e.tag) == "AssemblyName" and (e.text or "").strip():
                return e.text.strip()
    return os.path.splitext(os.path.basename(csproj))[0]


def needs_aspnet(csproj):
    root = read_xml(os.path.join(ROOT, csproj))
    if root is None:
        return False
    if "Microsoft.NET.Sdk.Web" in (root.get("Sdk") or ""):
        return True
    return any(local(e.tag) == "FrameworkReference" and e.get("Include") == "Microsoft.AspNetCore.App" for e in root.iter())


def uses_torchsharp(csproj):
    root = read_xml(os.path.join(ROOT, csproj))
    return root is not None and any(
        local(e.tag) == "PackageReference" and (e.get("Include") or "").startswith("TorchSharp") for e in root.iter())


def msbuild_files_above(csproj):
    """Directory.Build.props/.targets and Directory.Packages.props that MSBuild may import for a project, repository-relative."""
    found = []
    d = os.path.dirname(csproj)
    while True:
        for name in ("Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"):
            candidate = os.path.join(d, name) if d else name
            if os.path.isfile(os.path.join(ROOT, candidate)):
                found.append(candidate.replace(os.sep, "/"))
        if not d:
            break
        d = os.path.dirname(d)
    return found


# -------------------------------------------------------------------------------------------------------- .dockerignore
def segment_regex(segment):
    out, i = "", 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = segment.find("]", i)
            if j < 0:
                out += re.escape(c)
            else:
                out += segment[i:j + 1].replace("[!", "[^")
                i = j
        else:
            out += re.escape(c)
        i += 1
    return out


def ignore_regex(pattern):
    parts = [p for p in pattern.strip("/").split("/") if p not in ("", ".")]
    rx = ""
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            rx += ".*" if last else "(?:.*/)?"
        else:
            rx += segment_regex(part) + ("" if last else "/")
    return re.compile(rx + r"\Z")


ignore_rules = []
if os.path.isfile(".dockerignore"):
    for line in open(".dockerignore", encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        ignore_rules.append((negate, ignore_regex(line[1:] if negate else line)))
else:
    fail(".dockerignore is missing at the repository root (the build context): bin/ and obj/ would be sent and copied")


def ignored(path):
    path = path.strip("/")
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for negate, rx in ignore_rules:
        if any(rx.match(p) for p in prefixes):
            result = not negate
    return result


for must in ("services/Registry/FlMicroservices.Registry.Host/bin", "shared/Core/obj", ".git", ".fl", "runs", "artifacts"):
    if ignore_rules and not ignored(must):
        fail(f".dockerignore does not exclude {must}")

# ---------------------------------------------------------------------------------------------------------- Dockerfiles
def instructions(path):
    logical, buf = [], ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by the parser
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        logical.append(buf.strip())
        buf = ""
    if buf.strip():
        logical.append(buf.strip())
    out = []
    for text in logical:
        keyword, _, rest = text.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def copy_args(rest):
    flags = {}
    if rest.startswith("["):
        import json
        args = json.loads(rest)
    else:
        args = shlex.split(rest)
        while args and args[0].startswith("--"):
            k, _, v = args.pop(0)[2:].partition("=")
            flags[k] = v
    return flags, args[:-1], args[-1] if args else ""


def landing(src, dest, workdir, is_dir_src, many):
    """Absolute directory (for a directory source) or file path where a context path lands."""
    if not dest.startswith("/"):
        dest = os.path.join(workdir, dest)
    if is_dir_src:
        return os.path.normpath(dest)
    if dest.endswith("/") or many:
        return os.path.normpath(os.path.join(dest, os.path.basename(src)))
    return os.path.normpath(dest)


def check_dockerfile(path, project, final_base, label):
    name = rel(path)
    before = len(problems)
    if not os.path.isfile(path):
        fail(f"{label}: {name} is missing")
        return
    instrs = instructions(path)
    stages, workdir = [], "/"
    copies, runs, entrypoint, env_text, exposed = [], [], None, "", []
    for index, (kw, rest) in enumerate(instrs):
        if kw == "FROM":
            parts = rest.split()
            stages.append({"image": parts[0], "name": parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None,
                           "runs": [], "copies_from": []})
            workdir = "/"
        elif not stages:
            if kw != "ARG":
                fail(f"{name}: {kw} before the first FROM")
        elif kw == "WORKDIR":
            workdir = os.path.normpath(os.path.join(workdir, rest))
        elif kw in ("COPY", "ADD"):
            flags, srcs, dest = copy_args(rest)
            if "from" in flags:
                stages[-1]["copies_from"].append((flags["from"], srcs, dest))
                continue
            for s in srcs:
                norm = os.path.normpath(s).replace(os.sep, "/")
                if norm.startswith("..") or os.path.isabs(s):
                    fail(f"{name}: COPY source {s} is outside the build context")
                    continue
                if any(ch in s for ch in "*?["):
                    fail(f"{name}: COPY source {s} uses a wildcard; name paths so they can be checked")
                    continue
                if not os.path.exists(os.path.join(ROOT, norm)):
                    fail(f"{name}: COPY source {s} does not exist in the repository")
                    continue
                if ignored(norm):
                    fail(f"{name}: COPY source {s} is excluded by .dockerignore")
                is_dir = os.path.isdir(os.path.join(ROOT, norm))
                copies.append({"stage": len(stages) - 1, "index": index, "src": "" if norm == "." else norm, "dir": is_dir,
                               "at": landing(norm, dest, workdir, is_dir, len(srcs) > 1), "workdir": workdir})
        elif kw == "RUN":
            runs.append((len(stages) - 1, index, rest, workdir))
            stages[-1]["runs"].append(rest)
        elif kw == "ENTRYPOINT":
            entrypoint = rest
        elif kw == "ENV":
            env_text += " " + rest
        elif kw == "EXPOSE":
            exposed += rest.split()
    if len(stages) < 2:
        fail(f"{name}: expected a build stage and a final stage")
        return
    if stages[0]["image"] != "mcr.microsoft.com/dotnet/sdk:10.0":
        fail(f"{name}: build stage is {stages[0]['image']}, expected mcr.microsoft.com/dotnet/sdk:10.0")
    if stages[-1]["image"] != final_base:
        fail(f"{name}: final stage is {stages[-1]['image']}, expected {final_base}")

    def dotnet_runs(verb):
        found = []
        for stage, index, text, wd in runs:
            for m in re.finditer(r"dotnet\s+" + verb + r"\s+(\S+)([^&;|]*)", text):
                found.append((stage, index, os.path.normpath(os.path.join(wd, m.group(1))), m.group(2)))
        return found

    restores, publishes = dotnet_runs("restore"), dotnet_runs("publish")
    if len(restores) != 1 or len(publishes) != 1:
        fail(f"{name}: expected one `dotnet restore` and one `dotnet publish`, found {len(restores)} and {len(publishes)}")
        return
    (_, restore_at, restored, restore_opts), (_, publish_at, published, publish_opts) = restores[0], publishes[0]
    # One platform's native libraries (libtorch, librdkafka) per image: restore and publish for linux-x64 only.
    for what, opts in (("restore", restore_opts), ("publish", publish_opts)):
        if not re.search(r"(^|\s)(-r|--runtime)\s+linux-x64(\s|$)", opts):
            fail(f"{name}: `dotnet {what}` must name the runtime (-r linux-x64) so the image carries one platform's native libraries")
    build_workdir = next((c["workdir"] for c in copies if c["stage"] == 0), "/src")
    expected = os.path.normpath(os.path.join(build_workdir, project))
    for what, got in (("restores", restored), ("publishes", published)):
        if got != expected:
            fail(f"{name}: {what} {got}, expected {expected} ({project})")
    if not os.path.isfile(os.path.join(ROOT, project)):
        fail(f"{name}: project {project} does not exist")
        return
    if not re.search(r"(^|\s)-o\s+/app(\s|$)", publish_opts) or "-c Release" not in publish_opts:
        fail(f"{name}: publish must use -c Release -o /app")
    if "--no-restore" not in publish_opts:
        warn(f"{name}: publish without --no-restore restores again")
    if restore_at > publish_at:
        fail(f"{name}: `dotnet restore` comes after `dotnet publish`")

    def available(path, before, as_dir):
        """Whether the repository path is in the build stage at the same relative place before instruction `before`."""
        want = os.path.normpath(os.path.join(build_workdir, path))
        for c in copies:
            if c["stage"] != 0 or c["index"] >= before:
                continue
            if c["dir"]:
                inner = os.path.relpath(os.path.join(ROOT, path), os.path.join(ROOT, c["src"])) if c["src"] else path
                if not inner.startswith("..") and os.path.normpath(os.path.join(c["at"], inner)) == want:
                    return True
            elif not as_dir and c["src"] == path and c["at"] == want:
                return True
        return False

    projects = closure(project)
    restore_inputs = sorted({f for p in projects for f in msbuild_files_above(p)} | {"global.json"})
    for f in restore_inputs + projects:
        if not available(f, restore_at, False):
            fail(f"{name}: {f} is not copied (to the same relative path) before `dotnet restore`")
    if os.path.isdir(os.path.join(ROOT, "build")) and not available("build", restore_at, True):
        fail(f"{name}: build/ (the inline MSBuild task of Directory.Build.targets) is not copied before `dotnet restore`")
    for p in projects:
        if not available(os.path.dirname(p), publish_at, True):
            fail(f"{name}: the sources of {p} (its folder) are not copied before `dotnet publish`")
    restore_kinds = (".csproj", ".props", ".targets", ".json")
    for c in copies:
        if c["stage"] != 0 or c["index"] >= restore_at:
            continue
        if c["dir"] and c["src"] != "build":
            fail(f"{name}: copies the folder {c['src'] or '.'} before `dotnet restore`: any source edit would invalidate the restore layer")
        elif not c["dir"] and not c["src"].endswith(restore_kinds):
            fail(f"{name}: copies {c['src']} before `dotnet restore`; only project files and build settings belong there")
        elif not c["dir"] and c["src"].endswith(".csproj") and c["src"] not in projects:
            warn(f"{name}: copies {c['src']}, which {project} does not reference")

    final = stages[-1]
    if not any(f in (stages[0]["name"], "0") and "/app" in srcs for f, srcs, _ in final["copies_from"]):
        fail(f"{name}: the final stage does not copy /app from the build stage")
    dll = assembly_name(project) + ".dll"
    if not entrypoint or "dotnet" not in entrypoint or dll not in entrypoint:
        fail(f"{name}: ENTRYPOINT should run `dotnet {dll}`, found {entrypoint!r}")
    if any(uses_torchsharp(p) for p in projects) and not any("libgomp1" in r for r in final["runs"]):
        fail(f"{name}: TorchSharp is in the closure of {project} but the final stage does not install libgomp1")
    # No test tools in a production image: nothing in the published closure is a test project or references a test package.
    for p in projects:
        root = read_xml(os.path.join(ROOT, p))
        test_packages = [] if root is None else [e.get("Include") for e in root.iter() if local(e.tag) == "PackageReference"
                                                 and re.match(r"(xunit|Microsoft\.NET\.Test\.Sdk|Testcontainers|coverlet|FsCheck|Microsoft\.AspNetCore\.Mvc\.Testing)", e.get("Include") or "")]
        if p.startswith("tests/") or test_packages:
            fail(f"{name}: {p} in the published closure is test code ({', '.join(test_packages) or 'under tests/'})")
    aspnet = [p for p in projects if needs_aspnet(p)]
    if final_base.endswith("/runtime:10.0") and aspnet:
        fail(f"{name}: runs on the plain runtime image but {', '.join(aspnet)} needs the ASP.NET Core shared framework")
    if final_base.endswith("/aspnet:10.0"):
        setting, port = HTTPS_ONLY.get(label, ("ASPNETCORE_HTTP_PORTS=8080", "8080"))
        if setting not in env_text:
            fail(f"{name}: the final stage does not set {setting}")
        if port not in exposed:
            warn(f"{name}: EXPOSE {port} is missing")
    verdict = "ok" if len(problems) == before else "FAIL"
    print(f"{verdict:<4} {name}: {project} ({len(projects)} projects in its closure)")


print("== Dockerfiles")
dockerfiles = {}
for svc in SERVICES:
    path = os.path.join(ROOT, "docker", "services", f"{svc}.Dockerfile")
    dockerfiles[rel(path)] = svc
    check_dockerfile(path, f"services/{svc}/FlMicroservices.{svc}.Host/FlMicroservices.{svc}.Host.csproj", "mcr.microsoft.com/dotnet/aspnet:10.0", svc)
dockerfiles["docker/node.Dockerfile"] = "node"
check_dockerfile(os.path.join(ROOT, "docker", "node.Dockerfile"), "services/Node/FlMicroservices.Node.Host/FlMicroservices.Node.Host.csproj",
                 "mcr.microsoft.com/dotnet/runtime:10.0", "node")
for dirpath, _, files in os.walk(os.path.join(ROOT, "docker")):
    for f in files:
        if f.endswith("Dockerfile") and rel(os.path.join(dirpath, f)) not in dockerfiles:
            warn(f"{rel(os.path.join(dirpath, f))} is not one of the checked Dockerfiles")

# -------------------------------------------------------------------------------------------------------------- compose
print("== docker/compose.yaml")
COMPOSE = os.path.join(ROOT, "docker", "compose.yaml")
try:
    compose = yaml.safe_load(open(COMPOSE, encoding="utf-8"))
except (OSError, yaml.YAMLError) as e:
    fail(f"docker/compose.yaml: {e}")
    compose = None

# Settings each process needs: plain values in its environment, connection strings only as secret files (never env).
BUS = {"Messaging__Transport": "RabbitMq", "Messaging__TlsCaCertificate": "/run/secrets/ca.pem", "ConnectionStrings__rabbitmq": None}
KAFKA = {"UpdateStream__Transport": "Kafka", "ConnectionStrings__kafka": None, "UpdateStream__Security__Protocol": "SaslSsl",
         "UpdateStream__Security__SaslMechanism": "Plain", "UpdateStream__Security__SslCaLocation": "/run/secrets/ca.pem",
         "UpdateStream__Security__SaslUsername": None, "UpdateStream__Provisioning": "Verify"}
REDIS = {"Health__Store": "Redis", "ConnectionStrings__redis": None}
MONGO = {"Storage__ModelStore": "MongoDb", "ConnectionStrings__mongodb": None}
STATE = {"Storage__State": "MongoDb", "ConnectionStrings__mongodb": None}
SECRET_SETTINGS = {"ConnectionStrings__rabbitmq": "rabbitmq", "ConnectionStrings__redis": "redis", "ConnectionStrings__mongodb": "mongo"}
CONTRACT = {  # docs/deployment.md, "Which service needs what"
    "registry": ("Registry", [BUS, REDIS, STATE]),
    "selector": ("Selector", [BUS, REDIS, STATE]),
    "aggregation": ("Aggregation", [BUS, KAFKA, MONGO]),
    "privacy-accounting": ("PrivacyAccounting", [BUS]),
    "model-registry": ("ModelRegistry", [BUS, MONGO, STATE]),
    "reward": ("Reward", [BUS, STATE]),
    "gateway": ("Gateway", [{"Gateway__ModelRegistryUrl": "http://model-registry:8080", "Gateway__RegistryUrl": "http://registry:8080",
                             "Gateway__SelectorUrl": "http://selector:8080"}, STATE]),
    "dashboard": ("Dashboard", [BUS, {"Dashboard__ApiUrl": "http://gateway:8080"}]),
    "edge": ("Edge", [BUS, KAFKA, STATE, {"Edge__CertificateFile": "/run/secrets/edge.pem", "Edge__CertificateKeyFile": "/run/secrets/edge.key",
                                          "Edge__ModelRegistryUrl": "http://model-registry:8080"}]),
}
# Secrets a service must mount besides its connection strings: the edge's certificate and its broker account's password.
MOUNTS = {"edge": {"edge.pem": None, "edge.key": None, "broker-edge": "/run/fl-broker/edge.password"}}
NODE_CONTRACT = [BUS, KAFKA, {"Node__ModelRegistryUrl": "http://model-registry:8080"}]
ALL_KEYS = set().union(*(d.keys() for d in (BUS, KAFKA, REDIS, MONGO, STATE)))
# What scripts/compose-secrets.sh writes: every secret file compose mounts must be one of these.
SECRET_FILES = {"ConnectionStrings__rabbitmq", "ConnectionStrings__redis", "ConnectionStrings__mongodb", "ca.pem", "rabbitmq.conf",
                "rabbitmq.pem", "rabbitmq.key", "redis.conf", "redis-password", "redis.pem", "redis.key", "mongo-password", "mongo-tls.pem",
                "OperatorApi__SigningKey", "rabbitmq-definitions.json", "edge.pem", "edge.key",
                "kafka-tls.pem", "kafka-jaas.conf", "kafka-client.properties"}
# Signed commands (docs/security.md): each issuer's key, mounted only into its own service, and the services that check its public key.
COMMAND_KEYS = {"selector": {"aggregation", "node", "edge", "dashboard"}, "aggregation": {"node", "edge", "model-registry"},
                "model-registry": {"registry", "selector", "privacy-accounting", "reward", "dashboard"},
                "registry": {"selector", "privacy-accounting", "model-registry", "aggregation", "dashboard"},
                "privacy-accounting": {"selector"}, "reward": set()}
SECRET_FILES |= {f"{issuer}.command-key{suffix}" for issuer in COMMAND_KEYS for suffix in ("", ".pub")}
# ... and broker/NAME.password for every broker account (docker/rabbitmq/accounts.tsv).
SECRET_FILES |= {line.split("\t")[0] + ".password" for line in open(os.path.join(os.path.dirname(COMPOSE), "rabbitmq", "accounts.tsv"), encoding="utf-8")
                 if line.strip()}
INFRA = {"rabbitmq": "rabbitmq:3.13-management", "kafka": "apache/kafka:3.9.", "mongo": "mongo:8", "redis": "redis:7"}
# One-off steps that run to completion before the services start.
INIT = {"kafka-acls": "apache/kafka:3.9."}


def cs_value(path, pattern):
    """A literal read from the C# source, so the deployment follows the code rather than a copy of its names."""
    m = re.search(pattern, open(os.path.join(ROOT, path), encoding="utf-8").read())
    if not m:
        fail(f"{path}: no match for {pattern!r} (the Kafka ACL check reads it)")
        return None
    return m.group(1)


# Kafka ACLs (docs/security.md, "Kafka ACLs"): each client user's exact least-privilege set, from the names the code uses.
KAFKA_TOPIC = cs_value("shared/Infrastructure/UpdateStream/KafkaUpdateStreamOptions.cs", r'public string Topic \{ get; set; \} = "([^"]+)"')
KAFKA_GROUP = cs_value("services/Aggregation/FlMicroservices.Aggregation/SliceIngestionService.cs", r'public const string ConsumerGroup = "([^"]+)"')
KAFKA_READER = cs_value("shared/Infrastructure/UpdateStream/KafkaUpdateStream.cs", r'GroupId = \$"\{_options\.Topic\}(-reader-)\{')
KAFKA_IDEMPOTENT = cs_value("shared/Infrastructure/UpdateStream/KafkaUpdateStream.cs", r"EnableIdempotence = (true|false)") == "true"
KAFKA_PRODUCER_ACLS = {("Topic", "literal", KAFKA_TOPIC, "Write"), ("Topic", "literal", KAFKA_TOPIC, "Describe")} | (
    {("Cluster", "literal", "kafka-cluster", "IdempotentWrite")} if KAFKA_IDEMPOTENT else set())
KAFKA_ACLS = {
    "User:fl-node": KAFKA_PRODUCER_ACLS,
    "User:fl-edge": KAFKA_PRODUCER_ACLS,
    "User:fl-aggregation": {("Topic", "literal", KAFKA_TOPIC, "Read"), ("Topic", "literal", KAFKA_TOPIC, "Describe"),
                            ("Group", "prefixed", KAFKA_GROUP, "Read"), ("Group", "prefixed", f"{KAFKA_TOPIC}{KAFKA_READER}", "Read")},
}


def kafka_acls(script):
    """The ACLs an init script adds with its `acl ...` lines (kafka-acls.sh --add), as {principal: {(type, pattern, name, operation)}}."""
    found = {}
    for line in script.splitlines():
        words = shlex.split(line.strip())
        if not words or words[0] != "acl":
            continue
        principal, operations, resource, pattern = None, [], None, "literal"
        i = 1
        while i < len(words):
            word = words[i]
            if word == "--cluster":
                resource = ("Cluster", "kafka-cluster")
                i += 1
                continue
            if i + 1 >= len(words):
                fail(f"kafka ACL line {line.strip()!r}: {word} has no value")
                break
            value = words[i + 1]
            if word == "--allow-principal":
                principal = value
            elif word == "--operation":
                operations.append(value)
            elif word in ("--topic", "--group"):
                resource = (word[2:].capitalize(), value)
            elif word == "--resource-pattern-type":
                pattern = value.lower()
            else:
                fail(f"kafka ACL line {line.strip()!r}: {word} is not one the check knows (hosts, deny rules and other resources are not used)")
            i += 2
        if principal is None or resource is None or not operations:
            fail(f"kafka ACL line {line.strip()!r} names no principal, resource or operation")
            continue
        found.setdefault(principal, set()).update((resource[0], pattern, resource[1], op) for op in operations)
    return found


def check_kafka_acls(where, script):
    found = kafka_acls(script)
    for principal in sorted(set(found) | set(KAFKA_ACLS)):
        want, got = KAFKA_ACLS.get(principal, set()), found.get(principal, set())
        if got != want:
            fail(f"{where}: {principal} has Kafka ACLs {sorted(got)}, expected exactly {sorted(want)}")
    if not re.search(rf"kafka-topics\.sh .*--create .*--topic {re.escape(KAFKA_TOPIC or '')} --partitions [1-9]", script):
        fail(f"{where}: the init step does not create the topic {KAFKA_TOPIC} with its partitions")


def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: (None if v is None else str(v)) for k, v in env.items()}


def conn_host(key, value):
    if value is None:
        return None
    if key.endswith("rabbitmq") or key.endswith("mongodb"):
        m = re.match(r"^[a-z]+://(?:[^@/]*@)?([^:/?,]+)", value)
        return m.group(1) if m else None
    return value.split(",")[0].split(":")[0]


def secret_names(svc):
    return [x if isinstance(x, str) else (x or {}).get("source") for x in svc.get("secrets") or []]


def healthcheck_ok(hc):
    test = (hc or {}).get("test")
    if isinstance(test, str):
        return bool(test.strip())
    return isinstance(test, list) and len(test) >= 2 and test[0] in ("CMD", "CMD-SHELL")


if compose is not None:
    before = len(problems)
    services = compose.get("services") or {}
    declared_volumes = set((compose.get("volumes") or {}).keys())
    expected = set(INFRA) | set(INIT) | set(CONTRACT) | {"node-1", "node-2", "node-3"}
    for missing in sorted(expected - set(services)):
        fail(f"compose: service {missing} is missing")
    for extra in sorted(set(services) - expected):
        warn(f"compose: service {extra} is not part of the documented deployment")
    host_ports = {}
    for sname, svc in services.items():
        if not isinstance(svc, dict):
            fail(f"compose: service {sname} is not a mapping")
            continue
        if "build" not in svc and "image" not in svc:
            fail(f"compose: service {sname} has neither build nor image")
        build = svc.get("build")
        if build is not None:
            if isinstance(build, str):
                build = {"context": build}
            context = os.path.normpath(os.path.join(ROOT, "docker", build.get("context", ".")))
            if context != ROOT:
                fail(f"compose: {sname} builds with context {build.get('context')}, expected the repository root (..)")
            dockerfile = os.path.normpath(os.path.join(context, build.get("dockerfile", "Dockerfile")))
            if not os.path.isfile(dockerfile):
                fail(f"compose: {sname} has no Dockerfile: {rel(dockerfile)} does not exist")
            elif rel(dockerfile) not in dockerfiles:
                fail(f"compose: {sname} builds with {rel(dockerfile)}, which this check does not know")
            elif sname in CONTRACT and dockerfiles[rel(dockerfile)] != CONTRACT[sname][0]:
                fail(f"compose: {sname} builds with {rel(dockerfile)}, expected docker/services/{CONTRACT[sname][0]}.Dockerfile")
            elif sname.startswith("node-") and dockerfiles[rel(dockerfile)] != "node":
                fail(f"compose: {sname} builds with {rel(dockerfile)}, expected docker/node.Dockerfile")
        elif sname in CONTRACT or sname.startswith("node-"):
            fail(f"compose: {sname} does not build from this repository")
        image = INFRA.get(sname) or INIT.get(sname)
        if image and not str(svc.get("image", "")).startswith(image):
            fail(f"compose: {sname} uses image {svc.get('image')}, expected {image}*")
        for port in svc.get("ports") or []:
            host = str(port).rsplit(":", 1)[0] if ":" in str(port) else None
            if host:
                if host in host_ports:
                    fail(f"compose: host port {host} is published by both {host_ports[host]} and {sname}")
                host_ports[host] = sname
        for vol in svc.get("volumes") or []:
            source = str(vol).split(":", 1)[0] if isinstance(vol, str) else (vol or {}).get("source")
            if source and not source.startswith((".", "/", "~")) and source not in declared_volumes:
                fail(f"compose: {sname} mounts volume {source}, which is not declared under volumes:")
        depends = svc.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {d: {"condition": "service_started"} for d in depends}
        for dep, spec in depends.items():
            if dep not in services:
                fail(f"compose: {sname} depends on {dep}, which is not a service")
                continue
            if (spec or {}).get("condition") == "service_healthy" and not healthcheck_ok(services[dep].get("healthcheck")):
                fail(f"compose: {sname} waits for {dep} to be healthy but {dep} has no healthcheck")
        if (sname in INFRA or sname in CONTRACT) and not healthcheck_ok(svc.get("healthcheck")):
            fail(f"compose: {sname} has no healthcheck")
        if sname in CONTRACT and CONTRACT[sname][0] in HTTPS_ONLY:
            port = HTTPS_ONLY[CONTRACT[sname][0]][1]
            if f"127.0.0.1/{port}" not in str(svc.get("healthcheck", {}).get("test")):
                fail(f"compose: {sname}'s healthcheck does not connect to its HTTPS port {port}")
            if not any(str(p).endswith(f":{port}") for p in svc.get("ports") or []):
                fail(f"compose: {sname} does not publish its HTTPS port {port}")
        elif sname in CONTRACT and "/health/ready" not in str(svc.get("healthcheck", {}).get("test")):
            fail(f"compose: {sname}'s healthcheck does not ask /health/ready")
        for secret, target in MOUNTS.get(sname, {}).items():
            mounts = [x for x in svc.get("secrets") or [] if (x if isinstance(x, str) else (x or {}).get("source")) == secret]
            if not mounts:
                fail(f"compose: {sname} does not mount the secret {secret}")
            elif target and not any(isinstance(x, dict) and x.get("target") == target for x in mounts):
                fail(f"compose: {sname} mounts {secret} but not at {target}")

        contract = CONTRACT[sname][1] if sname in CONTRACT else NODE_CONTRACT if sname.startswith("node-") else None
        if contract is None:
            continue
        env = env_of(svc)
        mounted = set(secret_names(svc))
        wanted = {}
        for group in contract:
            wanted.update(group)
        for key, value in wanted.items():
            if key in SECRET_SETTINGS:
                if key in env:
                    fail(f"compose: {sname} puts {key} in its environment; it must come from the secret file of that name")
                elif key not in mounted:
                    fail(f"compose: {sname} does not mount the secret {key}")
                else:
                    host = SECRET_SETTINGS[key]
                    if (depends.get(host) or {}).get("condition") != "service_healthy":
                        fail(f"compose: {sname} uses {host} but does not wait for it to be healthy (depends_on condition)")
            elif key == "ConnectionStrings__kafka":
                host = conn_host(key, env.get(key))
                if host not in services:
                    fail(f"compose: {sname}'s {key} points at {host}, which is not a compose service")
                elif (depends.get(host) or {}).get("condition") != "service_healthy":
                    fail(f"compose: {sname} uses {host} but does not wait for it to be healthy (depends_on condition)")
                elif (depends.get("kafka-acls") or {}).get("condition") != "service_completed_successfully":
                    fail(f"compose: {sname} uses Kafka but does not wait for kafka-acls to complete (its topic and ACLs)")
            elif key not in env or not env[key]:
                fail(f"compose: {sname} lacks {key}")
            elif value is not None and env[key] != value:
                fail(f"compose: {sname} sets {key}={env[key]}, expected {value}")
        if "Messaging__TlsCaCertificate" in wanted and "ca.pem" not in mounted:
            fail(f"compose: {sname} trusts /run/secrets/ca.pem but does not mount the secret ca.pem")
        if "UpdateStream__Security__SaslUsername" in wanted:
            # Its own Kafka user: fl-NAME with the password file kafka/NAME.password, and no other process's.
            account = "node" if sname.startswith("node-") else sname
            if env.get("UpdateStream__Security__SaslUsername") != f"fl-{account}":
                fail(f"compose: {sname} is not Kafka user fl-{account}")
            sources = {(x or {}).get("source"): (x or {}).get("target") for x in svc.get("secrets") or [] if isinstance(x, dict)}
            files = {name: str(((compose.get("secrets") or {}).get(name) or {}).get("file", "")) for name in sources}
            kafka_files = sorted(f for f in files.values() if f.startswith("secrets/kafka/"))
            if kafka_files != [f"secrets/kafka/{account}.password"]:
                fail(f"compose: {sname} mounts Kafka passwords {kafka_files}, expected only secrets/kafka/{account}.password")
            elif sources.get(next(n for n, f in files.items() if f == kafka_files[0])) != "/run/secrets/UpdateStream__Security__SaslPassword":
                fail(f"compose: {sname} does not mount its Kafka password as /run/secrets/UpdateStream__Security__SaslPassword")
        for key in sorted(ALL_KEYS & set(env) - set(wanted)):
            warn(f"compose: {sname} sets {key}, which its row of the configuration table does not list")

    node_ids = []
    for n in ("node-1", "node-2", "node-3"):
        env = env_of(services.get(n) or {})
        for key in ("Node__Id", "Node__Clients", "Node__Dataset"):
            if not env.get(key):
                fail(f"compose: {n} does not set {key} (the node host's settings)")
        if env.get("Node__Id"):
            node_ids.append(env["Node__Id"])
    if len(set(node_ids)) != len(node_ids):
        fail(f"compose: node ids are not unique: {node_ids}")

    kafka_env = env_of(services.get("kafka") or {})
    if str(kafka_env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).lower() != "false":
        fail("compose: kafka should set KAFKA_AUTO_CREATE_TOPICS_ENABLE to false (the services provision the topic)")
    # Kafka: SASL_SSL on every listener another container or the host reaches; the controller on loopback only.
    protocols = dict(p.split(":", 1) for p in str(kafka_env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "")).split(",") if ":" in p)
    for listener in str(kafka_env.get("KAFKA_LISTENERS", "")).split(","):
        name, _, address = listener.partition("://")
        if protocols.get(name) != "SASL_SSL" and not address.startswith("localhost:"):
            fail(f"compose: kafka listener {listener} is {protocols.get(name)}, not SASL_SSL")
    if "java.security.auth.login.config=/run/secrets/kafka-jaas.conf" not in str(kafka_env.get("KAFKA_OPTS", "")):
        fail("compose: kafka does not read its SASL users from /run/secrets/kafka-jaas.conf")
    if not {"kafka-tls.pem", "kafka-jaas.conf", "ca.pem"} <= set(secret_names(services.get("kafka") or {})):
        fail("compose: kafka does not mount kafka-tls.pem, kafka-jaas.conf and ca.pem")
    # Kafka ACLs: the authorizer is on, what no ACL allows is denied, fl-kafka (the broker itself) is the only super user and
    # the broker reaches its controller as fl-kafka; kafka-acls gives each client user exactly its least-privilege set.
    for key, value in (("KAFKA_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
                       ("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND", "false"), ("KAFKA_SUPER_USERS", "User:fl-kafka"),
                       ("KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL", "PLAIN")):
        if str(kafka_env.get(key)).lower() != value.lower():
            fail(f"compose: kafka sets {key}={kafka_env.get(key)}, expected {value}")
    controller = str(kafka_env.get("KAFKA_CONTROLLER_LISTENER_NAMES", ""))
    if not str(protocols.get(controller, "")).startswith("SASL_"):
        fail(f"compose: kafka's controller listener {controller} is {protocols.get(controller)}: the broker would reach it as an anonymous principal")
    init = services.get("kafka-acls") or {}
    if (((init.get("depends_on") or {}).get("kafka")) or {}).get("condition") != "service_healthy":
        fail("compose: kafka-acls does not wait for kafka to be healthy")
    if "kafka-client.properties" not in secret_names(init):
        fail("compose: kafka-acls does not mount kafka-client.properties (it runs as fl-kafka)")
    init_script = "\n".join(str(c) for c in (init.get("command") or [])) if isinstance(init.get("command"), list) else str(init.get("command") or "")
    check_kafka_acls("compose: kafka-acls", init_script.replace("$$", "$"))
    # Credentials: none in the file, every declared secret is a file the secrets script makes, no guest user.
    text = open(COMPOSE, encoding="utf-8").read()
    if re.search(r"guest", text):
        fail("compose: mentions guest; the deployment has its own RabbitMQ user")
    for sname, svc in services.items():
        for key, value in env_of(svc).items():
            if re.search(r"(PASSWORD|PASS|SECRET)$", key) or (value and re.search(r"://[^/@\s]+:[^/@\s]+@", value)):
                fail(f"compose: {sname} has a credential in its environment ({key})")
        for name in secret_names(svc):
            if name not in (compose.get("secrets") or {}):
                fail(f"compose: {sname} mounts secret {name}, which is not declared under secrets:")
    for issuer, readers in COMMAND_KEYS.items():
        for sname, svc in services.items():
            kind = "node" if sname.startswith("node-") else sname
            mounts = {(x or {}).get("source"): (x or {}).get("target") for x in svc.get("secrets") or [] if isinstance(x, dict)}
            if (f"{issuer}.command-key" in mounts) != (kind == issuer):
                fail(f"compose: {issuer}.command-key (the private key of {issuer}'s signed commands) must be mounted into {issuer} only, not {sname}")
            public = f"{issuer}.command-key.pub"
            if (kind in readers or kind == issuer) and mounts.get(public) != f"/run/fl-broker/{public}":
                fail(f"compose: {sname} checks {issuer}'s signed commands but does not mount {public} at /run/fl-broker/{public}")
    for name, spec in (compose.get("secrets") or {}).items():
        f = os.path.basename(str((spec or {}).get("file", "")))
        if not str((spec or {}).get("file", "")).startswith("secrets/") or f not in SECRET_FILES:
            fail(f"compose: secret {name} is not a file that scripts/compose-secrets.sh writes into docker/secrets/")
    rabbit = services.get("rabbitmq") or {}
    if not any(isinstance(x, dict) and x.get("target", "").startswith("/etc/rabbitmq/conf.d/") for x in rabbit.get("secrets") or []):
        fail("compose: rabbitmq does not mount its configuration (user, TLS listener) from the secrets")
    if any(str(p).endswith(":5672") for p in rabbit.get("ports") or []):
        fail("compose: rabbitmq publishes the plain AMQP port 5672; only amqps (5671) is offered")
    roles = str(kafka_env.get("KAFKA_PROCESS_ROLES", ""))
    if "broker" not in roles or "controller" not in roles:
        fail("compose: kafka is not a combined broker,controller (KRaft) node")
    if "kafka:9092" not in str(kafka_env.get("KAFKA_ADVERTISED_LISTENERS", "")):
        fail("compose: kafka does not advertise kafka:9092, the address the services use")
    cluster = str(kafka_env.get("CLUSTER_ID", ""))
    try:
        if len(base64.urlsafe_b64decode(cluster + "==")) != 16 or len(cluster) != 22:
            raise ValueError
    except ValueError:
        fail(f"compose: kafka CLUSTER_ID {cluster!r} is not a base64url-encoded 16-byte id (kafka-storage format rejects it)")
    verdict = "ok" if len(problems) == before else "FAIL"
    print(f"{verdict:<4} docker/compose.yaml: {len(services)} services")

# --------------------------------------------------------------------------------------------------------------- Aspire
# The AppHost is built with the solution and run by tests/AppHost.Tests; what stays here is what those would not notice.
print("== aspire/FlMicroservices.AppHost (static checks; the solution build and tests/AppHost.Tests run it)")
APPHOST = "aspire/FlMicroservices.AppHost/FlMicroservices.AppHost.csproj"
before = len(problems)
if not os.path.isfile(APPHOST):
    fail(f"{APPHOST} is missing")
else:
    root = read_xml(APPHOST)
    if root is not None:
        if not (root.get("Sdk") or "").startswith("Aspire.AppHost.Sdk/"):
            fail(f"{APPHOST}: Sdk is {root.get('Sdk')!r}, expected Aspire.AppHost.Sdk/<version>")
        refs = project_refs(APPHOST)
        wanted_refs = {f"services/{s}/FlMicroservices.{s}.Host/FlMicroservices.{s}.Host.csproj" for s in SERVICES} | {"tools/Fl.Cli/Fl.Cli.csproj"}
        for r in sorted(wanted_refs - set(refs)):
            fail(f"{APPHOST}: no ProjectReference to {r}")
        source = "".join(open(os.path.join("aspire/FlMicroservices.AppHost", f), encoding="utf-8").read()
                         for f in os.listdir("aspire/FlMicroservices.AppHost") if f.endswith(".cs"))
        for resource in ("rabbitmq", "kafka", "mongodb", "redis"):
            if f'"{resource}"' not in source:
                fail(f'the AppHost declares no resource named "{resource}" (the connection-string name the services read)')
    sln = open("FlMicroservices.sln", encoding="utf-8").read() if os.path.isfile("FlMicroservices.sln") else ""
    if "FlMicroservices.AppHost" not in sln:
        fail("FlMicroservices.sln does not include the AppHost, so CI would not build it")
verdict = "ok" if len(problems) == before else "FAIL"
print(f"{verdict:<4} {APPHOST}: static checks")

for w in warnings:
    print(f"warning: {w}")
if problems:
    print(f"\n{len(problems)} problem(s):")
    for p in problems:
        print(f"FAIL: {p}")
    sys.exit(1)
print("\nall deployment checks passed")
PY

exit $status
