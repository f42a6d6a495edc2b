/**
 * A local Kubernetes cluster for the e2e, from binaries built by tools/e2e/go/build.sh: its own etcd,
 * kube-apiserver (RBAC on, bearer-token auth, TLS from a CA made here), kube-controller-manager and
 * kube-scheduler, and kwok playing the kubelet of fake nodes (so pods schedule, become Ready and Job
 * pods complete). Two small fake cloud controllers fill in what a cloud would: LoadBalancer Service
 * addresses (loopback) and a volume for every pending PersistentVolumeClaim.
 *
 * Everything listens on 127.0.0.1 only, and every server runs under `timeout`, so it stops by itself
 * even if the e2e dies. Admission webhooks are off (no webhook backend can run here): KServe's and
 * cert-manager's webhooks are therefore not exercised.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Kube, KubeError, KubeObject } from "./kube";

export interface FakeNode {
    name: string;
    labels?: Record<string, string>;
    taints?: { key: string; value?: string; effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule" }[];
    /** Extra allocatable resources, e.g. `{ "nvidia.com/gpu": "1" }`. */
    extra?: Record<string, string>;
}

export interface LocalClusterOptions {
    name: string;
    /** Working directory (certificates, etcd data, logs); created. */
    dir: string;
    /** Directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok. */
    bin: string;
    /** Every server stops after this many seconds whatever happens. */
    lifetimeSeconds: number;
    nodes: FakeNode[];
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** CA, API server certificate (127.0.0.1, localhost, kubernetes.default.svc) and the service-account key pair. */
function makePki(dir: string): void {
    openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=hybridml-e2e-ca"]);
    openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"]);
    fs.writeFileSync(path.join(dir, "san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n" +
        "extendedKeyUsage=serverAuth\n");
    openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext"]);
    openssl(dir, ["genrsa", "-out", "sa.key", "2048"]);
    openssl(dir, ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

export class LocalCluster {
    private readonly procs: { name: string; proc: ChildProcess }[] = [];
    private fakeCloud: NodeJS.Timeout | undefined;
    private stopped = false;
    public kube!: Kube;
    public server = "";
    public readonly token: string;
    /** Counters of what the fake cloud controllers did. */
    public readonly fakeCloudStats = { loadBalancers: 0, volumes: 0 };

    private constructor(public readonly opts: LocalClusterOptions) {
        this.token = `e2e-${opts.name}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    }

    static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
        const c = new LocalCluster(opts);
        try {
            await c.boot();
        } catch (e) {
            c.stop();
            throw e;
        }
        return c;
    }

    get caPem(): string {
        return fs.readFileSync(path.join(this.opts.dir, "ca.crt"), "utf8");
    }

    /** A kubeconfig with the cluster-admin token (what an operator hands the stack as `hybridml:kubeconfig`). */
    kubeconfig(): string {
        const ca = Buffer.from(this.caPem).toString("base64");
        const n = this.opts.name;
        return [
            "apiVersion: v1", "kind: Config", `current-context: ${n}`,
            "clusters:", `- name: ${n}`, "  cluster:", `    server: ${this.server}`, `    certificate-authority-data: ${ca}`,
            "users:", `- name: ${n}-admin`, "  user:", `    token: ${this.token}`,
            "contexts:", `- name: ${n}`, "  context:", `    cluster: ${n}`, `    user: ${n}-admin`, "",
        ].join("\n");
    }

    private log(name: string): number {
        return fs.openSync(path.join(this.opts.dir, `${name}.log`), "a");
    }

    private run(name: string, args: string[]): ChildProcess {
        const bin = path.join(this.opts.bin, name);
        const out = this.log(name);
        const proc = spawn("timeout", ["--kill-after=10", String(this.opts.lifetimeSeconds), bin, ...args], {
            cwd: this.opts.dir, stdio: ["ignore", out, out],
        });
        fs.closeSync(out);
        proc.on("exit", (code) => {
            if (!this.stopped) fs.appendFileSync(path.join(this.opts.dir, `${name}.log`), `\n[e2e] ${name} exited with ${code}\n`);
        });
        this.procs.push({ name, proc });
        return proc;
    }

    private async waitFor(what: string, check: () => Promise<boolean>, seconds: number): Promise<void> {
        const deadline = Date.now() + seconds * 1000;
        let last: unknown;
        while (Date.now() < deadline) {
            for (const { name, proc } of this.procs) {
                if (proc.exitCode !== null) throw new Error(`${this.opts.name}: ${name} exited (${proc.exitCode}); see ${path.join(this.opts.dir, `${name}.log`)}`);
            }
            try {
                if (await check()) return;
            } catch (e) {
                last = e;
            }
            await sleep(300);
        }
        throw new Error(`${this.opts.name}: ${what} not ready after ${seconds} s${last ? `: ${String(last)}` : ""}`);
    }

    private async boot(): Promise<void> {
        const d = this.opts.dir;
        fs.mkdirSync(d, { recursive: true });
        makePki(d);
        fs.writeFileSync(path.join(d, "tokens.csv"), `${this.token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });

        const [etcdClient, etcdPeer, apiPort, kwokPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
        this.run("etcd", [
            "--name=e2e", `--data-dir=${path.join(d, "etcd")}`,
            `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
            `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`, "--unsafe-no-fsync", "--log-level=warn",
        ]);
        await this.waitFor("etcd", async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 60);

        this.server = `https://127.0.0.1:${apiPort}`;
        this.run("kube-apiserver", [
            `--etcd-servers=http://127.0.0.1:${etcdClient}`,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
            `--tls-cert-file=${path.join(d, "server.crt")}`, `--tls-private-key-file=${path.join(d, "server.key")}`,
            `--client-ca-file=${path.join(d, "ca.crt")}`, `--token-auth-file=${path.join(d, "tokens.csv")}`,
            "--authorization-mode=Node,RBAC", "--anonymous-auth=false",
            "--service-account-issuer=https://kubernetes.default.svc", `--service-account-key-file=${path.join(d, "sa.pub")}`,
            `--service-account-signing-key-file=${path.join(d, "sa.key")}`, "--api-audiences=https://kubernetes.default.svc",
            "--service-cluster-ip-range=10.96.0.0/16", "--allow-privileged=true",
            // No webhook backend can run here: webhook admission is off (README "End to end").
            "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
            `--cert-dir=${path.join(d, "certs")}`, "--profiling=false", "--v=0",
        ]);
        this.kube = new Kube({ server: this.server, caPem: this.caPem, token: this.token });
        await this.waitFor("kube-apiserver", async () => (await this.kube.request<string>("GET", "/readyz").then(() => true)), 120);

        const kubeconfig = path.join(d, "admin.kubeconfig");
        fs.writeFileSync(kubeconfig, this.kubeconfig(), { mode: 0o600 });
        this.run("kube-controller-manager", [
            `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
            "--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false",
            `--service-account-private-key-file=${path.join(d, "sa.key")}`, `--root-ca-file=${path.join(d, "ca.crt")}`,
            "--use-service-account-credentials=true", "--controllers=*,-node-ipam-controller,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller",
            "--concurrent-gc-syncs=5", "--v=0",
        ]);
        this.run("kube-scheduler", [
            `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
            "--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false", "--v=0",
        ]);
        this.run("kwok", [
            `--kubeconfig=${kubeconfig}`, `--config=${path.join(this.opts.bin, "kwok-stages.yaml")}`, "--manage-all-nodes=false", "--manage-nodes-with-label-selector=hybridml.io/e2e-node=kwok",
            "--node-ip=127.0.0.1", `--server-address=127.0.0.1:${kwokPort}`, "--cidr=10.244.0.0/16",
        ]);
        for (const n of this.opts.nodes) await this.kube.create("/api/v1/nodes", fakeNode(n));
        await this.waitFor("nodes Ready", async () => {
            const nodes = await this.kube.list("/api/v1/nodes");
            return nodes.length === this.opts.nodes.length && nodes.every((n) => ready(n));
        }, 120);
        await this.waitFor("default service account", async () => (await this.kube.find("/api/v1/namespaces/default/serviceaccounts/default")) !== undefined, 120);
        this.fakeCloud = setInterval(() => void this.fakeCloudTick().catch(() => undefined), 1500);
    }

    /** What a cloud would do: an address for LoadBalancer Services, a volume for pending claims. */
    private async fakeCloudTick(): Promise<void> {
        for (const svc of await this.kube.list("/api/v1/services")) {
            const spec = svc.spec as { type?: string } | undefined;
            const lb = (svc.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer;
            if (spec?.type !== "LoadBalancer" || (lb?.ingress?.length ?? 0) > 0) continue;
            await this.kube.mergePatch(`/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}/status`,
                { status: { loadBalancer: { ingress: [{ ip: "127.0.0.2" }] } } });
            this.fakeCloudStats.loadBalancers++;
        }
        for (const pvc of await this.kube.list("/api/v1/persistentvolumeclaims")) {
            const spec = pvc.spec as { volumeName?: string; accessModes?: string[]; storageClassName?: string; resources?: { requests?: { storage?: string } } };
            if (spec.volumeName || (pvc.status as { phase?: string } | undefined)?.phase !== "Pending") continue;
            const uid = (pvc.metadata as { uid?: string }).uid;
            const name = `e2e-${uid}`;
            try {
                await this.kube.create("/api/v1/persistentvolumes", {
                    apiVersion: "v1", kind: "PersistentVolume", metadata: { name, labels: { "hybridml.io/e2e": "fake-volume" } },
                    spec: {
                        capacity: { storage: spec.resources?.requests?.storage ?? "1Gi" }, accessModes: spec.accessModes ?? ["ReadWriteOnce"],
                        storageClassName: spec.storageClassName ?? "", persistentVolumeReclaimPolicy: "Retain",
                        claimRef: { namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid },
                        hostPath: { path: `/tmp/hybridml-e2e-volumes/${name}` },
                    },
                });
                this.fakeCloudStats.volumes++;
            } catch (e) {
                if (!(e instanceof KubeError && e.status === 409)) throw e;
            }
        }
    }

    stop(): void {
        this.stopped = true;
        if (this.fakeCloud) clearInterval(this.fakeCloud);
        this.kube?.close();
        for (const { proc } of [...this.procs].reverse()) {
            if (proc.exitCode === null) proc.kill("SIGTERM");
        }
    }
}

function ready(o: KubeObject): boolean {
    const conditions = (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** A Node object that kwok manages (its label selector), with generous capacity. */
function fakeNode(n: FakeNode): KubeObject {
    const capacity = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "500Gi", ...n.extra };
    return {
        apiVersion: "v1", kind: "Node",
        metadata: {
            name: n.name,
            labels: { "hybridml.io/e2e-node": "kwok", "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "type": "kwok", ...n.labels },
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        },
        spec: { taints: n.taints ?? [] },
        status: { capacity, allocatable: capacity },
    };
}
