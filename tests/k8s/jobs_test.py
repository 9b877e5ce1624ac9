#!/usr/bin/python3
"""The Jobs of examples/k8s/ run here the way Kubernetes would run them.

Nothing of the manifests is copied into this test: it reads them, and the image's ENTRYPOINT
and WORKDIR from the Dockerfile, and runs every container's command as the kubelet would:
  - command/args over the image's ENTRYPOINT/CMD, `$(VAR)` references expanded from the
    container's environment (Kubernetes' rules: `$$` is `$`, an unknown name stays as is);
  - env in order: literal values (expanded with the variables before them), configMapKeyRef
    from the ConfigMap poolbench-run and secretKeyRef from the Secret poolbench-db, made with
    the keys examples/k8s/README.md's `kubectl create` commands give them, fieldRef of the
    completion-index annotation; JOB_COMPLETION_INDEX set per pod of the Indexed Job;
  - the volume claim as one local directory, written where the containers mount it (paths
    under the mountPath are mapped to it); the image's WORKDIR is the source tree (its
    scenarios/ are the image's), and `poolbench` on PATH is the real binary;
  - the shared server (the Service in POOLBENCH_DSN) is a `poolbench server` on loopback
    with password authentication, the password given only through the Secret (PGPASSWORD).
The shards pods and the merge Job start together (README: `kubectl apply -f shards-job.yaml
-f merge-job.yaml`): the merge Job's init container must wait until every shard finished,
then the merge container's results must equal the sum of the shards'.

Run: POOLBENCH_BINARY=build/poolbench /usr/bin/python3 tests/k8s/jobs_test.py
(ctest: k8s_jobs_run_locally_as_kubernetes_would)
"""

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "containers"))
from check_results import merged_problems  # noqa: E402 (the shared check of merged results)

K8S = REPO / "examples" / "k8s"
BINARY = os.environ.get("POOLBENCH_BINARY", str(REPO / "build" / "poolbench"))
INDEX_ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
START_LEAD_S = 12  # README: far enough ahead for every pod to start (here: processes)
SHARD_TIMEOUT_S = 150


def load(name):
    documents = [d for d in yaml.safe_load_all((K8S / name).read_text()) if d is not None]
    assert len(documents) == 1, f"{name}: expected one object"
    return documents[0]


def expand(text, env):
    """Kubernetes' $(VAR) expansion of command, args and env values."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and (end := text.find(")", i + 2)) != -1:
            name = text[i + 2:end]
            out.append(env[name] if name in env else text[i:end + 1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def dockerfile_image():
    """ENTRYPOINT, CMD and WORKDIR of the Dockerfile's last stage (the image the Jobs run)."""
    stages = re.split(r"(?m)^FROM\s", (REPO / "Dockerfile").read_text())
    image = {}
    for line in stages[-1].splitlines():
        match = re.match(r"(ENTRYPOINT|CMD|WORKDIR)\s+(.*)", line)
        if match:
            key, value = match.groups()
            image[key] = json.loads(value) if key != "WORKDIR" else value.strip()
    return image


def readme_kubectl_keys(kind, name):
    """--from-literal keys of `kubectl create KIND ... NAME` in examples/k8s/README.md."""
    text = (K8S / "README.md").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        match = re.search(rf"kubectl create {kind}(?: generic)? {re.escape(name)}\b(.*)", line)
        if match:
            return set(re.findall(r"--from-literal=([\w.-]+)=", match.group(1)))
    raise AssertionError(f"README.md has no `kubectl create {kind} {name}`")


class Cluster:
    """What the pods see: ConfigMaps, Secrets, the volume claims and the server address."""

    def __init__(self, configmaps, secrets, claims, server_netloc, workdir, bin_dir):
        self.configmaps, self.secrets, self.claims = configmaps, secrets, claims
        self.server_netloc, self.workdir, self.bin_dir = server_netloc, workdir, bin_dir

    def env(self, container, index):
        env = {} if index is None else {"JOB_COMPLETION_INDEX": str(index)}
        for item in container.get("env", []):
            name = item["name"]
            if "value" in item:
                env[name] = expand(str(item["value"]), env)
                continue
            source = item["valueFrom"]
            if "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                env[name] = self.configmaps[ref["name"]][ref["key"]]
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                env[name] = self.secrets[ref["name"]][ref["key"]]
            elif source.get("fieldRef", {}).get("fieldPath") == INDEX_ANNOTATION:
                assert index is not None, f"{name}: the completion index outside an Indexed Job"
                env[name] = str(index)
            else:
                raise AssertionError(f"{name}: a valueFrom this test cannot provide: {source}")
        if "POOLBENCH_DSN" in env:
            env["POOLBENCH_DSN"] = self.local_dsn(env["POOLBENCH_DSN"])
        return env

    def local_dsn(self, dsn):
        """The manifest's DSN with the Service's host:port replaced by the local server's."""
        parts = urlsplit(dsn)
        assert parts.scheme in ("postgresql", "postgres") and parts.password is None, dsn
        return urlunsplit(parts._replace(netloc=f"{parts.username}@{self.server_netloc}"))

    def mounts(self, pod_spec, container):
        volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
        mounts = {}
        for mount in container.get("volumeMounts", []):
            claim = volumes[mount["name"]]["persistentVolumeClaim"]["claimName"]
            mounts[mount["mountPath"].rstrip("/")] = self.claims[claim]
        return mounts

    def start(self, pod_spec, container, index, image, log):
        """Starts one container's command; returns the process (output in `log`)."""
        env = self.env(container, index)
        if "command" in container:
            argv = container["command"] + container.get("args", [])
        else:
            argv = image["ENTRYPOINT"] + container.get("args", image.get("CMD", []))
        argv = [expand(a, env) for a in argv]
        for mount_path, local in self.mounts(pod_spec, container).items():
            pattern = re.compile(rf"(?<![\w/.-]){re.escape(mount_path)}(?=/|\b|$)")
            argv = [pattern.sub(str(local), a) for a in argv]
        process_env = {"PATH": f"{self.bin_dir}:/usr/bin:/bin", "HOME": str(self.bin_dir.parent),
                       "LANG": "C.UTF-8", **env}
        cwd = container.get("workingDir", image["WORKDIR"])
        assert cwd == image["WORKDIR"], "a workingDir other than the image's"
        log.write(f"$ {shlex.join(argv)}\n".encode())
        log.flush()
        return subprocess.Popen(argv, cwd=self.workdir, env=process_env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


class LocalServer:
    """`poolbench server` on loopback: its host:port and password (from its passfile)."""

    def __init__(self, log_path):
        self.log = open(log_path, "w+b")
        self.process = subprocess.Popen([BINARY, "server"], stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        text = ""
        while "Ctrl-C" not in text:
            assert self.process.poll() is None and time.monotonic() < deadline, text
            time.sleep(0.2)
            text = Path(log_path).read_text()
        conninfo = dict(w.split("=", 1) for w in re.search(r"conninfo:\s*(.*)", text)
                        .group(1).split())
        self.netloc = f"{conninfo['host']}:{conninfo['port']}"
        self.user, self.database = conninfo["user"], conninfo["dbname"]
        line = Path(conninfo["passfile"]).read_text().splitlines()[0]
        fields = [re.sub(r"\\(.)", r"\1", f) for f in re.split(r"(?<!\\):", line)]
        self.password = fields[4]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)
        self.log.close()


class KubernetesJobs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shards_job = load("shards-job.yaml")
        cls.merge_job = load("merge-job.yaml")
        cls.pvc = load("pvc.yaml")
        cls.image = dockerfile_image()

    def test_the_jobs_agree_on_the_shard_count_the_claim_and_the_keys_readme_creates(self):
        spec = self.shards_job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        self.assertEqual(spec["completions"], spec["parallelism"])
        pods = [self.shards_job["spec"]["template"]["spec"], self.merge_job["spec"]["template"]["spec"]]
        configmap_keys = readme_kubectl_keys("configmap", "poolbench-run")
        secret_keys = readme_kubectl_keys("secret", "poolbench-db")
        for pod in pods:
            self.assertEqual(pod["restartPolicy"], "Never")
            for volume in pod["volumes"]:
                self.assertEqual(volume["persistentVolumeClaim"]["claimName"],
                                 self.pvc["metadata"]["name"])
            for container in pod["containers"] + pod.get("initContainers", []):
                for item in container.get("env", []):
                    if item["name"] == "POOLBENCH_SHARDS":
                        self.assertEqual(int(item["value"]), spec["completions"], container["name"])
                    source = item.get("valueFrom", {})
                    if "configMapKeyRef" in source:
                        self.assertEqual(source["configMapKeyRef"]["name"], "poolbench-run")
                        self.assertIn(source["configMapKeyRef"]["key"], configmap_keys)
                    if "secretKeyRef" in source:
                        self.assertEqual(source["secretKeyRef"]["name"], "poolbench-db")
                        self.assertIn(source["secretKeyRef"]["key"], secret_keys)

    def test_shards_and_merge_run_as_kubernetes_would_and_the_merge_is_the_sum(self):
        with tempfile.TemporaryDirectory(prefix="poolbench-k8s-") as tmp:
            self.run_jobs(Path(tmp))

    def run_jobs(self, tmp):
        claim = tmp / "pvc"
        claim.mkdir()
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "poolbench").symlink_to(Path(BINARY).resolve())
        server = LocalServer(tmp / "server.log")
        processes = []
        logs = contextlib.ExitStack()
        try:
            run = f"run-{time.strftime('%Y%m%d-%H%M%S')}"
            cluster = Cluster(
                configmaps={"poolbench-run": {"run": run,
                                              "start-at": str(int(time.time()) + START_LEAD_S)}},
                secrets={"poolbench-db": {"password": server.password}},
                claims={self.pvc["metadata"]["name"]: claim},
                server_netloc=server.netloc, workdir=REPO, bin_dir=bin_dir)
            merge_pod = self.merge_job["spec"]["template"]["spec"]
            shards_pod = self.shards_job["spec"]["template"]["spec"]
            count = self.shards_job["spec"]["completions"]
            [init] = merge_pod["initContainers"]
            wait_log = logs.enter_context(open(tmp / "merge-init.log", "w+b"))
            waiter = cluster.start(merge_pod, init, None, self.image, wait_log)
            processes.append(waiter)
            shard_logs = [logs.enter_context(open(tmp / f"shard-{i}.log", "w+b"))
                          for i in range(count)]
            [container] = shards_pod["containers"]
            shards = [cluster.start(shards_pod, container, i, self.image, shard_logs[i])
                      for i in range(count)]
            processes += shards
            for i, shard in enumerate(shards):
                code = shard.wait(timeout=SHARD_TIMEOUT_S)
                self.assertEqual(code, 0, self.read(tmp / f"shard-{i}.log"))
            # Still waiting until the last shard finished: it cannot have ended before.
            self.assertIn(f"0 of {count} shards finished", self.read(tmp / "merge-init.log"))
            self.assertEqual(waiter.wait(timeout=60), 0, self.read(tmp / "merge-init.log"))
            [merge] = merge_pod["containers"]
            merge_log = logs.enter_context(open(tmp / "merge.log", "w+b"))
            merger = cluster.start(merge_pod, merge, None, self.image, merge_log)
            processes.append(merger)
            self.assertEqual(merger.wait(timeout=120), 0, self.read(tmp / "merge.log"))
            self.check_sums(claim / run, count)
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            logs.close()
            server.stop()

    def check_sums(self, run_dir, count):
        problems, summary = merged_problems(run_dir, count)
        self.assertEqual(problems, [])
        print(summary)

    @staticmethod
    def read(path):
        return Path(path).read_text(errors="replace")[-4000:]


if __name__ == "__main__":
    unittest.main(verbosity=2)
