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
import type { K3sHostConfig } from "../../config/schema";
import { versions } from "../../lib/versions";
import type { ExistingGpuPoolArgs } from "./onprem";
import { Cluster, GPU_NODE_LABEL, GPU_TAINT, GpuFacts, gpuFacts, ObjectStore } from "./types";

/** The k3s install script (it installs the release named by INSTALL_K3S_VERSION). */
export const K3S_INSTALL_URL = "https://get.k3s.io";
/** k3s supervisor/API port that joining nodes and the kubeconfig use. */
export const K3S_API_PORT = 6443;
/** Where k3s writes the admin kubeconfig on servers (mode 0600, so it is read with sudo). */
export const K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";
/** Written by each install with its install id; the uninstall runs only if it still holds that id. */
export const INSTALL_MARKER_PATH = "/var/lib/rancher/k3s/hybridml-install-id";
/** Command that prints the admin kubeconfig of a server. */
export const KUBECONFIG_READ_COMMAND = `sudo cat ${K3S_KUBECONFIG_PATH}`;

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
    hosts: K3sHostConfig[];
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
    /** k3s release (INSTALL_K3S_VERSION). Changing it re-runs the install (an in-place upgrade). Default `versions.k3s`. */
    version?: string;
    /**
     * Facts about the GPU hosts (`gpu: true` in `hosts`). Those hosts are labelled `GPU_NODE_LABEL` and
     * tainted `GPU_TAINT` at install; the GPU operator installs driver and toolkit (see `K3S_CONTAINERD`).
     * Required.
     */
    gpu: ExistingGpuPoolArgs;
    /** Packaged k3s components to disable on servers (`--disable`). Default ["traefik"]. */
    disableComponents?: string[];
}

/** What `installCommand` needs besides the host. */
export interface InstallOptions {
    /** k3s release to pin. */
    version: string;
    /** Address of the initial server to join; undefined when the host is the initial server. */
    joinAddress?: string;
    /** Components to disable on servers. */
    disableComponents: readonly string[];
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
export function k3sArgs(host: K3sHostConfig, opts: InstallOptions): string[] {
    if (host.role === "agent" && opts.joinAddress === undefined) {
        throw new Error(`k3s host ${host.name}: an agent cannot be the initial server; list a server first in cluster.hosts`);
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

/** The install script without its marker line (what `installId` hashes). */
function installBody(host: K3sHostConfig, opts: InstallOptions): string[] {
    const env = [`INSTALL_K3S_VERSION=${shellQuote(opts.version)}`];
    if (host.role === "agent") env.push(`K3S_URL=${serverUrl(opts.joinAddress!)}`);
    const args = k3sArgs(host, opts);
    return [
        "set -eu",
        // The join token arrives on stdin: it is never part of the command line, the process list or the logs.
        `K3S_TOKEN="$(cat)"`,
        `[ -n "$K3S_TOKEN" ] || { echo "k3s join token missing on stdin" >&2; exit 1; }`,
        "export K3S_TOKEN",
        `curl -sfL ${K3S_INSTALL_URL} | ${env.join(" ")} sh -s - ${args.map(shellQuote).join(" ")}`,
        // An empty download makes `sh` succeed silently: check the pinned release really is installed.
        `/usr/local/bin/k3s --version | grep -qF ${shellQuote(opts.version)}`,
    ];
}

/**
 * Identifies one install (host, role, flags, version). The install writes it to `INSTALL_MARKER_PATH`;
 * the uninstall of a replaced install (an upgrade: create-before-delete) then finds the new id and
 * leaves the freshly installed k3s alone.
 */
export function installId(host: K3sHostConfig, opts: InstallOptions): string {
    return createHash("sha256").update(installBody(host, opts).join("\n")).digest("hex").slice(0, 16);
}

/**
 * The `create` script for a host: the official install script at the pinned version, reading the
 * join token from stdin (`K3S_TOKEN="$(cat)"`). Idempotent: re-running it upgrades or reconfigures.
 */
export function installCommand(host: K3sHostConfig, opts: InstallOptions): string {
    return [
        ...installBody(host, opts),
        `echo ${installId(host, opts)} | sudo tee ${INSTALL_MARKER_PATH} >/dev/null`,
    ].join("\n");
}

/** The k3s uninstall script for a host's role. */
export function uninstallScript(role: K3sHostConfig["role"]): string {
    return role === "server" ? "/usr/local/bin/k3s-uninstall.sh" : "/usr/local/bin/k3s-agent-uninstall.sh";
}

/**
 * The `delete` script: runs the k3s uninstall script, but only if the host still carries this
 * install's id (a replacement has already installed over it otherwise).
 */
export function uninstallCommand(host: K3sHostConfig, opts: InstallOptions): string {
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
 * Point a k3s kubeconfig at `address` instead of the loopback address k3s writes
 * (`https://127.0.0.1:6443`). The server's certificate covers `address` through `--tls-san`.
 */
export function rewriteKubeconfigServer(raw: string, address: string): string {
    const host = urlHost(address);
    return raw.replace(/(server:\s*["']?https:\/\/)(?:127\.0\.0\.1|localhost|\[::1\])(?=[:/"'\s]|$)/gm,
        (_m, prefix: string) => `${prefix}${host}`);
}

/** Fail early, naming the config key, on hosts the component cannot install. */
export function validateK3sHosts(name: string, hosts: readonly K3sHostConfig[]): void {
    if (hosts.length === 0) {
        throw new Error(`K3sCluster ${name}: cluster.hosts is empty: list at least one host, the first with role "server"`);
    }
    if (hosts[0].role !== "server") {
        throw new Error(`K3sCluster ${name}: the first of cluster.hosts (${hosts[0].name}) has role "${hosts[0].role}": put a server first`);
    }
    const seen = new Set<string>();
    for (const h of hosts) {
        if (seen.has(h.name)) throw new Error(`K3sCluster ${name}: cluster.hosts names ${h.name} twice: host names must be unique`);
        seen.add(h.name);
    }
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
        const privateKey = pulumi.secret(args.sshPrivateKey);
        // Explicit providers (never the ambient default): those passed in `opts.providers`, else our own.
        const commandProvider = this.getProvider("command:remote:Command") ?? new command.Provider(`${name}-command`, {}, { parent: this });
        const token = args.token !== undefined
            ? pulumi.secret(args.token)
            : pulumi.secret(new random.RandomPassword(`${name}-token`, { length: 48, special: false }, {
                parent: this,
                provider: this.getProvider("random:index/randomPassword:RandomPassword") ?? new random.Provider(`${name}-random`, {}, { parent: this }),
            }).result);
        const connection = (h: K3sHostConfig): command.types.input.remote.ConnectionArgs =>
            ({ host: h.address, port: args.sshPort, user: args.sshUser, privateKey });

        const [first, ...joiners] = args.hosts;
        const install = (h: K3sHostConfig, o: InstallOptions, dependsOn: pulumi.Resource[]) => new command.remote.Command(`${name}-${h.name}-install`, {
            connection: connection(h),
            create: installCommand(h, o),
            delete: uninstallCommand(h, o),
            stdin: token,
            triggers: [o.version, installId(h, o)],
        }, {
            parent: this,
            provider: commandProvider,
            dependsOn,
            additionalSecretOutputs: ["stdin"],
            // A replacement re-runs the install and then the old delete; the marker guard keeps that safe
            // for version/flag changes. SSH details and the token are used at create only: changing them
            // must not reinstall (rotate a k3s token with `k3s token rotate`).
            ignoreChanges: ["connection", "stdin"],
        });

        const firstInstall = install(first, { version, disableComponents }, []);
        const joined = joiners.map((h) => install(h, { version, joinAddress: first.address, disableComponents }, [firstInstall]));

        // The installed @pulumi/command has no `logging` option: a secret `create` and a secret `stdout`
        // keep the kubeconfig out of the diff and the state in clear text.
        const read = new command.remote.Command(`${name}-kubeconfig`, {
            connection: connection(first),
            create: pulumi.secret(KUBECONFIG_READ_COMMAND),
            triggers: [firstInstall.id],
        }, { parent: this, provider: commandProvider, dependsOn: [firstInstall], additionalSecretOutputs: ["stdout"] });

        this.kubeconfig = pulumi.secret(read.stdout.apply((raw) => rewriteKubeconfigServer(raw, first.address)));
        this.gpu = gpuFacts(args.gpu, "operator");
        // Depending on every install makes a destroy remove the workloads before any host is uninstalled.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig },
            { parent: this, dependsOn: [firstInstall, ...joined] });

        this.registerOutputs({
            provider: this.provider,
            kubeconfig: this.kubeconfig,
            platform: this.platform,
            gpu: this.gpu,
        });
    }
}
