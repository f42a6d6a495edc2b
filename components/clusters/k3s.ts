/**
 * K3sCluster: k3s installed over SSH on the listed edge hosts with @pulumi/command (SPEC 5 "Clusters").
 *
 * The commands are built by the pure functions below (`installCommand`, `uninstallCommand`,
 * `rewriteKubeconfigServer`, ...) so that they can be tested without a runtime.
 */
import { createHash } from "crypto";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { versions } from "../../lib/versions";
import { argError, taintString } from "./common";
import type { ExistingGpuPoolArgs } from "./onprem";
import { Cluster, clusterOutputs, GPU_NODE_LABEL, GPU_TAINT, gpuFacts, GpuFacts, GpuSharing, MIG_CONFIG_LABEL, migConfigNodeLabels, ObjectStore } from "./types";

/** One host k3s is installed on. */
export interface K3sHost {
    /** Node name (DNS-1123). */
    name: string;
    /** Address that Pulumi reaches over SSH and the agents reach on 6443. */
    address: string;
    /** `server` (control plane) or `agent`. */
    role: "server" | "agent";
    /** The host has NVIDIA GPUs: it is labelled `GPU_NODE_LABEL` and tainted `GPU_TAINT`. */
    gpu: boolean;
}

/** The pinned k3s install script (a k3s-io/k3s commit, not get.k3s.io's newest) and the sha256 k3s publishes for it. */
export const K3S_INSTALL_SCRIPT = versions.k3sInstallScript;

/** The install script a cluster downloads and the sha256 the hosts check it against. */
export interface InstallScript {
    /** https URL of the script. */
    url: string;
    /** Its sha256 (hex); undefined skips the check (allowed on dev stacks only, config enforces it). */
    sha256?: string;
}
/** Service account whose long-lived token the kubeconfig carries (no expiring client certificate). */
export const DEPLOYER_SERVICE_ACCOUNT = { namespace: "kube-system", name: "hybridml-deployer", secret: "hybridml-deployer-token" } as const;
/** k3s supervisor/API port that joining nodes and the kubeconfig use. */
export const K3S_API_PORT = 6443;
/** Where k3s writes the admin kubeconfig on servers (mode 0600, so it is read with sudo). */
export const K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";
/** Written by each install with its install id; the uninstall runs only if it still holds that id. */
export const INSTALL_MARKER_PATH = "/var/lib/rancher/k3s/hybridml-install-id";
/** Command that prints the admin kubeconfig of a server. */
export const KUBECONFIG_READ_COMMAND = `sudo cat ${K3S_KUBECONFIG_PATH}`;
/** The k3s server's CA certificate, which the service-account kubeconfig trusts. */
export const K3S_SERVER_CA_PATH = "/var/lib/rancher/k3s/server/tls/server-ca.crt";

/**
 * Where k3s keeps its embedded containerd, for the GPU operator's container toolkit on k3s hosts
 * (the GPU issue: set the toolkit's CONTAINERD_CONFIG and CONTAINERD_SOCKET env to these). k3s
 * regenerates `config.toml` on every start from `config.toml.tmpl` (`config-v3.toml.tmpl` with
 * containerd 2), so the toolkit must write the template (or rely on k3s's own detection of the
 * nvidia runtime, which adds an `nvidia` runtime class handler once the toolkit is on the host).
 */
export const K3S_CONTAINERD = {
    configPath: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
    configTemplatePath: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
    socket: "/run/k3s/containerd/containerd.sock",
} as const;

export interface K3sClusterArgs {
    /**
     * Hosts to install. The first is the initial server (`--cluster-init`, embedded etcd); other
     * servers join it as control-plane members, agents as workers. Required, non-empty, unique names
     * (config `cluster.hosts`).
     */
    hosts: K3sHost[];
    /** SSH user with passwordless sudo on every host. Required (config `cluster.sshUser`, default there `ubuntu`). */
    sshUser: string;
    /** SSH port. Required (config `cluster.sshPort`, default there 22). */
    sshPort: number;
    /** SSH private key (OpenSSH PEM); always treated as a secret. Required (config secret `hybridml:sshPrivateKey`). */
    sshPrivateKey: pulumi.Input<string>;
    /**
     * k3s join token; always treated as a secret and passed to hosts on stdin only. Default: a
     * generated `random.RandomPassword` (48 characters, no special characters) kept in state.
     */
    token?: pulumi.Input<string>;
    /**
     * k3s release (INSTALL_K3S_VERSION). Changing it runs the install again through the commands'
     * `update` (an in-place upgrade, servers before agents, as k3s documents), never a replacement.
     * Default `versions.k3s`.
     */
    version?: string;
    /**
     * The install script and its sha256 (config `cluster.installScriptUrl`, `cluster.installScriptSha256`).
     * Default `{ url: K3S_INSTALL_SCRIPT.url }` with no check.
     */
    installScript?: InstallScript;
    /**
     * Facts about the GPU hosts (`gpu: true` in `hosts`). Those hosts are labelled `GPU_NODE_LABEL` and
     * tainted `GPU_TAINT` at install; the GPU operator installs driver and toolkit (see `K3S_CONTAINERD`).
     * Required.
     */
    gpu: ExistingGpuPoolArgs;
    /** Packaged k3s components to disable on servers (`--disable`). Default ["traefik"]. */
    disableComponents?: string[];
    /**
     * Protect the server installs (deleting one uninstalls k3s and its etcd data). Agents are never
     * protected: a host removed from `hosts` is drained, deleted from the cluster and uninstalled.
     * Default true (config `protectStateful`).
     *
     * SSH host keys are not pinned: @pulumi/command's remote connection (this SDK) has no host-key
     * argument, so reach the hosts over a network you trust (the site VPN).
     */
    protect?: boolean;
    /** Bump to issue a new deployer token (the kubeconfig's credential). Default 1. */
    credentialRotation?: number;
}

/** What `installCommand` needs besides the host. */
export interface InstallOptions {
    /** k3s release to pin. */
    version: string;
    /** Address of the initial server to join; undefined when the host is the initial server. */
    joinAddress?: string;
    /** Components to disable on servers. */
    disableComponents: readonly string[];
    /** The install script and its sha256. Default `{ url: K3S_INSTALL_SCRIPT.url }` (not verified). */
    script?: InstallScript;
}

/** Quote `s` for a POSIX shell when it contains anything beyond a safe set of characters. */
export function shellQuote(s: string): string {
    return /^[A-Za-z0-9._:/=+@,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `address` as the host part of a URL: IPv6 addresses in brackets. */
function urlHost(address: string): string {
    return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

/** `https://<address>:6443`. */
export function serverUrl(address: string): string {
    return `https://${urlHost(address)}:${K3S_API_PORT}`;
}

/** The arguments given to the k3s install script (`sh -s - <these>`). */
export function k3sArgs(host: K3sHost, opts: InstallOptions): string[] {
    if (host.role === "agent" && opts.joinAddress === undefined) {
        throw new Error(`K3sCluster: host ${host.name} is an agent but no server to join was given (args.hosts must start with a server)`);
    }
    const args: string[] = [host.role];
    if (host.role === "server") {
        if (opts.joinAddress === undefined) args.push("--cluster-init");
        else args.push("--server", serverUrl(opts.joinAddress));
        args.push("--tls-san", host.address);
    }
    args.push("--node-name", host.name);
    if (host.role === "server") {
        args.push("--write-kubeconfig-mode", "0600");
        for (const c of opts.disableComponents) args.push("--disable", c);
    }
    if (host.gpu) {
        args.push(
            "--node-label", `${GPU_NODE_LABEL.key}=${GPU_NODE_LABEL.value}`,
            "--node-taint", `${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`,
        );
    }
    return args;
}

/**
 * The install script without its marker line. Downloads the pinned release's own install script,
 * checks its sha256 (when pinned in lib/versions.ts), and runs it; the script itself checks the k3s
 * binary against the release's sha256sum.
 */
function installBody(host: K3sHost, opts: InstallOptions): string[] {
    const env = [`INSTALL_K3S_VERSION=${shellQuote(opts.version)}`];
    if (host.role === "agent") env.push(`K3S_URL=${serverUrl(opts.joinAddress!)}`);
    const args = k3sArgs(host, opts);
    const script = opts.script ?? { url: K3S_INSTALL_SCRIPT.url };
    const sha = script.sha256;
    if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) throw new Error(`K3sCluster: the install script sha256 must be 64 hex characters (got ${JSON.stringify(sha)})`);
    return [
        "set -eu",
        // The join token arrives on stdin: it is never part of the command line, the process list or the logs.
        `K3S_TOKEN="$(cat)"`,
        `[ -n "$K3S_TOKEN" ] || { echo "k3s join token missing on stdin" >&2; exit 1; }`,
        "export K3S_TOKEN",
        `SCRIPT="$(mktemp)"; trap 'rm -f "$SCRIPT"' EXIT`,
        `curl -sfL ${shellQuote(script.url)} -o "$SCRIPT"`,
        ...(sha ? [`echo "${sha}  $SCRIPT" | sha256sum -c - >/dev/null || { echo "k3s install script does not match its pinned sha256" >&2; exit 1; }`] : []),
        `${env.join(" ")} sh "$SCRIPT" ${args.map(shellQuote).join(" ")}`,
        // An empty download makes `sh` succeed silently: check the pinned release really is installed.
        `/usr/local/bin/k3s --version | grep -qF ${shellQuote(opts.version)}`,
    ];
}

/**
 * Identifies one install (host, role, version and flags). The install and every in-place update
 * write it to `INSTALL_MARKER_PATH`; the uninstall runs only while the host still carries the id of
 * the install Pulumi last ran there (so a host that another stack or an operator reinstalled is left
 * alone). The GPU flags are left out: they only act when a node registers, and `nodeConfigCommand`
 * applies a change.
 */
export function installId(host: K3sHost, opts: InstallOptions): string {
    return createHash("sha256").update(installBody({ ...host, gpu: false }, opts).join("\n")).digest("hex").slice(0, 16);
}

/**
 * The `create` and `update` script for a host: the official install script at the pinned version,
 * reading the join token from stdin (`K3S_TOKEN="$(cat)"`). Idempotent: re-running it upgrades or
 * reconfigures in place (k3s's documented manual upgrade).
 */
export function installCommand(host: K3sHost, opts: InstallOptions): string {
    return [
        ...installBody(host, opts),
        `echo ${installId(host, opts)} | sudo tee ${INSTALL_MARKER_PATH} >/dev/null`,
    ].join("\n");
}

/** The k3s uninstall script for a host's role. */
export function uninstallScript(role: K3sHost["role"]): string {
    return role === "server" ? "/usr/local/bin/k3s-uninstall.sh" : "/usr/local/bin/k3s-agent-uninstall.sh";
}

/**
 * The `delete` script: runs the k3s uninstall script, but only if the host still carries this
 * install's id (a replacement has already installed over it otherwise).
 */
export function uninstallCommand(host: K3sHost, opts: InstallOptions): string {
    const script = uninstallScript(host.role);
    const id = installId(host, opts);
    return [
        `if [ "$(sudo cat ${INSTALL_MARKER_PATH} 2>/dev/null || true)" = "${id}" ] && [ -x ${script} ]; then`,
        `  sudo ${script}`,
        "else",
        `  echo "k3s on ${host.name} was installed by a newer deployment (or is gone): not uninstalling"`,
        "fi",
    ].join("\n");
}

/**
 * The `delete` script of a host's node resource, run on the first server when the host leaves
 * `hosts` (and on destroy): cordon and drain the node (PodDisruptionBudgets respected, DaemonSets
 * left, bounded by `timeoutSeconds`), then delete it from the cluster. A node already gone is fine.
 */
export function drainCommand(host: K3sHost, timeoutSeconds = 600): string {
    const k = "sudo k3s kubectl";
    const node = shellQuote(host.name);
    return [
        "set -eu",
        `if ${k} get node ${node} >/dev/null 2>&1; then`,
        `  ${k} drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${timeoutSeconds}s`,
        `  ${k} delete node ${node} --ignore-not-found`,
        "fi",
    ].join("\n");
}

/**
 * Point a k3s kubeconfig at `address` instead of the loopback address k3s writes
 * (`https://127.0.0.1:6443`). The server's certificate covers `address` through `--tls-san`.
 */
export function rewriteKubeconfigServer(raw: string, address: string): string {
    const host = urlHost(address);
    return raw.replace(/(server:\s*["']?https:\/\/)(?:127\.0\.0\.1|localhost|\[::1\])(?=[:/"'\s]|$)/gm,
        (_m, prefix: string) => `${prefix}${host}`);
}

/** Fail early, naming the argument, on hosts the component cannot install. */
export function validateK3sHosts(name: string, hosts: readonly K3sHost[]): void {
    if (hosts.length === 0) throw argError("K3sCluster", name, "hosts", "is empty: list at least one host, the first with role \"server\"");
    if (hosts[0].role !== "server") {
        throw argError("K3sCluster", name, "hosts[0].role", `is "${hosts[0].role}" (host ${hosts[0].name}): the first host initialises the cluster, put a server first`);
    }
    const seen = new Set<string>();
    hosts.forEach((h, i) => {
        if (seen.has(h.name)) throw argError("K3sCluster", name, `hosts[${i}].name`, `repeats ${h.name}: host names must be unique`);
        seen.add(h.name);
    });
}

/**
 * Labels and taints of a node as `gpu` says, applied with `kubectl --overwrite` on the first server
 * (k3s's `--node-label`/`--node-taint` act only when a node first registers): adding or removing
 * `gpu` on a host takes effect on the next `pulumi up`. Waits for the node to register first.
 */
export function nodeConfigCommand(host: K3sHost, sharing: GpuSharing = { mode: "none" }): string {
    const k = "sudo k3s kubectl";
    const node = shellQuote(host.name);
    const wait = `for i in $(seq 1 60); do ${k} get node ${node} >/dev/null 2>&1 && break; sleep 5; done`;
    const labels = k3sGpuNodeLabels(sharing);
    const apply = host.gpu
        ? [
            `${k} label node ${node} ${Object.entries(labels).map(([key, v]) => shellQuote(`${key}=${v}`)).join(" ")} --overwrite`,
            // Out of MIG mode the MIG manager must not keep applying an old profile.
            ...(MIG_CONFIG_LABEL in labels ? [] : [`${k} label node ${node} ${shellQuote(`${MIG_CONFIG_LABEL}-`)} || true`]),
            `${k} taint node ${node} ${shellQuote(taintString(GPU_TAINT))} --overwrite`,
        ]
        : [
            `${k} label node ${node} ${shellQuote(`${GPU_NODE_LABEL.key}-`)} ${shellQuote(`${MIG_CONFIG_LABEL}-`)} || true`,
            `${k} taint node ${node} ${shellQuote(`${GPU_TAINT.key}:${GPU_TAINT.effect}-`)} || true`,
        ];
    return ["set -eu", wait, ...apply].join("\n");
}

/** Kubernetes labels of the k3s GPU hosts: the platform's GPU label and, in MIG mode, the MIG profile label. */
export function k3sGpuNodeLabels(sharing: GpuSharing): Record<string, string> {
    return { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value, ...migConfigNodeLabels(sharing) };
}

/**
 * Prints a kubeconfig whose credential is a long-lived service-account token (cluster-admin, a
 * `kubernetes.io/service-account-token` Secret that does not expire) instead of k3s's admin client
 * certificate, which expires after a year while the copy in Pulumi state would not be refreshed.
 * Rotate by bumping `credentialRotation` (the Secret is recreated).
 */
export function deployerKubeconfigCommand(rotation: number): string {
    const k = "sudo k3s kubectl";
    const sa = DEPLOYER_SERVICE_ACCOUNT;
    return [
        "set -eu",
        `${k} -n ${sa.namespace} create serviceaccount ${sa.name} --dry-run=client -o yaml | ${k} apply -f - >/dev/null`,
        `${k} create clusterrolebinding ${sa.name} --clusterrole=cluster-admin --serviceaccount=${sa.namespace}:${sa.name} --dry-run=client -o yaml | ${k} apply -f - >/dev/null`,
        `if [ "$(${k} -n ${sa.namespace} get secret ${sa.secret} -o jsonpath='{.metadata.annotations.hybridml\\.io/rotation}' 2>/dev/null || true)" != "${rotation}" ]; then`,
        `  ${k} -n ${sa.namespace} delete secret ${sa.secret} --ignore-not-found >/dev/null`,
        `  printf '%s\\n' 'apiVersion: v1' 'kind: Secret' 'type: kubernetes.io/service-account-token' 'metadata:' '  name: ${sa.secret}' '  namespace: ${sa.namespace}' '  annotations:' '    kubernetes.io/service-account.name: ${sa.name}' '    hybridml.io/rotation: "${rotation}"' | ${k} apply -f - >/dev/null`,
        "fi",
        `TOKEN=""; for i in $(seq 1 30); do TOKEN="$(${k} -n ${sa.namespace} get secret ${sa.secret} -o jsonpath='{.data.token}' | base64 -d)"; [ -n "$TOKEN" ] && break; sleep 2; done`,
        `[ -n "$TOKEN" ] || { echo "no token in secret ${sa.secret}" >&2; exit 1; }`,
        `CA="$(sudo base64 -w0 ${K3S_SERVER_CA_PATH})"`,
        `printf 'apiVersion: v1\\nkind: Config\\nclusters:\\n- name: k3s\\n  cluster:\\n    server: "https://127.0.0.1:${K3S_API_PORT}"\\n    certificate-authority-data: %s\\nusers:\\n- name: ${sa.name}\\n  user:\\n    token: %s\\ncontexts:\\n- name: k3s\\n  context: {cluster: k3s, user: ${sa.name}}\\ncurrent-context: k3s\\n' "$CA" "$TOKEN"`,
    ].join("\n");
}

/** A k3s cluster installed on hosts over SSH, yielding the common `Cluster` shape. */
export class K3sCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "k3s" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore | undefined = undefined;

    constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        validateK3sHosts(name, args.hosts); // before registering anything
        super("hybridml:clusters:K3sCluster", name, {}, opts);

        const version = args.version ?? versions.k3s;
        const disableComponents = args.disableComponents ?? ["traefik"];
        const protect = args.protect ?? true;
        const privateKey = pulumi.secret(args.sshPrivateKey);
        // Explicit providers (never the ambient default): those passed in `opts.providers`, else our own.
        const commandProvider = this.getProvider("command:remote:Command") ?? new command.Provider(`${name}-command`, {}, { parent: this });
        const token = args.token !== undefined
            ? pulumi.secret(args.token)
            : pulumi.secret(new random.RandomPassword(`${name}-token`, { length: 48, special: false }, {
                parent: this,
                provider: this.getProvider("random:index/randomPassword:RandomPassword") ?? new random.Provider(`${name}-random`, {}, { parent: this }),
            }).result);
        // The connection is state like any input: a new key or port updates the commands (re-running the
        // idempotent install), so a later destroy connects with the current key, not a rotated-away one.
        const connection = (h: K3sHost): command.types.input.remote.ConnectionArgs =>
            ({ host: h.address, port: args.sshPort, user: args.sshUser, privateKey });

        const [first, ...joiners] = args.hosts;
        const script = args.installScript ?? { url: K3S_INSTALL_SCRIPT.url };
        // No triggers: a new version or flag changes `create`/`update`, which the provider runs as an
        // update in place (a replacement of a protected install would be refused, and of a server would
        // wipe etcd). Servers are updated before the agents that depend on them.
        const install = (h: K3sHost, o: InstallOptions, dependsOn: pulumi.Resource[]) => new command.remote.Command(`${name}-${h.name}-install`, {
            connection: connection(h),
            create: installCommand(h, o),
            update: installCommand(h, o),
            delete: uninstallCommand(h, o),
            stdin: token,
        }, {
            parent: this,
            provider: commandProvider,
            dependsOn,
            protect: protect && h.role === "server",
            additionalSecretOutputs: ["stdin"],
            // The token is used at join only: rotate a k3s token with `k3s token rotate`, not by reinstalling.
            ignoreChanges: ["stdin"],
        });

        const firstInstall = install(first, { version, disableComponents, script }, []);
        const joined = joiners.map((h) => install(h, { version, joinAddress: first.address, disableComponents, script }, [firstInstall]));
        const installs = [firstInstall, ...joined];

        // Labels and taints follow `gpu` (an update re-runs the script); a host removed from `hosts`
        // is drained and deleted from the cluster (run on the first server) before it is uninstalled.
        const nodeConfigs = args.hosts.map((h, i) => new command.remote.Command(`${name}-${h.name}-node`, {
            connection: connection(first),
            create: nodeConfigCommand(h, args.gpu.sharing),
            update: nodeConfigCommand(h, args.gpu.sharing),
            delete: drainCommand(h),
        }, { parent: this, provider: commandProvider, dependsOn: [installs[i]] }));

        // A secret `create` and a secret `stdout` keep the credential out of the diff and the state in clear text.
        const rotation = args.credentialRotation ?? 1;
        const read = new command.remote.Command(`${name}-kubeconfig`, {
            connection: connection(first),
            create: pulumi.secret(deployerKubeconfigCommand(rotation)),
            triggers: [firstInstall.id, rotation],
        }, { parent: this, provider: commandProvider, dependsOn: [firstInstall], additionalSecretOutputs: ["stdout"] });

        this.kubeconfig = pulumi.secret(read.stdout.apply((raw) => rewriteKubeconfigServer(raw, first.address)));
        this.gpu = gpuFacts(args.gpu, "operator");
        // Depending on every install makes a destroy remove the workloads before any host is uninstalled.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig },
            { parent: this, dependsOn: [...installs, ...nodeConfigs] });

        this.registerOutputs(clusterOutputs(this));
    }
}
