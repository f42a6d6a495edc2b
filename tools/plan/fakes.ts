/**
 * Computed outputs the mock runtime reports outside preview (unit tests), so that values built
 * from them (kubeconfigs, storage URIs) can be inspected. In preview they stay unknown, as in
 * `pulumi preview`. One entry per resource type whose computed outputs the program reads.
 */
import { generateKeyPairSync } from "node:crypto";

const FAKE_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZBS0UtLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";

type Inputs = Record<string, unknown>;

/** One real key pair per algorithm and process (tests sign and verify with it; never a plan output: plans are previews). */
const keyPairs = new Map<string, { privateKeyPem: string; publicKeyPem: string }>();
function fakeKeyPair(inputs: Inputs): { privateKeyPem: string; publicKeyPem: string } {
    const rsa = inputs.algorithm === "RSA";
    const id = rsa ? `rsa-${String(inputs.rsaBits ?? 2048)}` : "ec-p256";
    if (!keyPairs.has(id)) {
        const pair = rsa
            ? generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048), privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } })
            : generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { type: "sec1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
        keyPairs.set(id, { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey });
    }
    return keyPairs.get(id)!;
}

/** A stable documentation address (198.51.100.1-254) for a resource name. */
function fakeAddress(name: string): string {
    let h = 0;
    for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return `198.51.100.${(h % 254) + 1}`;
}
const table: Record<string, (name: string, inputs: Inputs) => Inputs> = {
    "aws:eks/cluster:Cluster": (name) => ({
        arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${name}`,
        endpoint: `https://${name}.gr7.eu-west-1.eks.amazonaws.com`,
        certificateAuthority: { data: FAKE_CA },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${name.toUpperCase()}` }] }],
    }),
    "aws:iam/role:Role": (name) => ({ arn: `arn:aws:iam::123456789012:role/${name}` }),
    "aws:kms/key:Key": (name) => ({ arn: `arn:aws:kms:eu-west-1:123456789012:key/${name}` }),
    "aws:s3/bucket:Bucket": (name, inputs) => ({ arn: `arn:aws:s3:::${String(inputs.bucket ?? name)}` }),
    // Static egress addresses (documentation range 198.51.100.0/24), stable per resource name.
    "aws:ec2/eip:Eip": (name) => ({ publicIp: fakeAddress(name) }),
    "gcp:compute/address:Address": (name) => ({ address: fakeAddress(name), selfLink: `https://www.googleapis.com/compute/v1/projects/p/regions/r/addresses/${name}` }),
    "azure-native:network:PublicIPAddress": (name) => ({ ipAddress: fakeAddress(name) }),
    "aws:eks/nodeGroup:NodeGroup": (name) => ({ resources: [{ autoscalingGroups: [{ name: `eks-${name}-asg` }] }] }),
    "gcp:container/cluster:Cluster": (name) => ({
        endpoint: "10.0.0.2",
        masterAuth: { clusterCaCertificate: FAKE_CA },
        selfLink: `https://container.googleapis.com/v1/projects/p/locations/l/clusters/${name}`,
        controlPlaneEndpointsConfig: {
            dnsEndpointConfig: { allowExternalTraffic: true, endpoint: `gke-0123456789abcdef-${name}.europe-west4.gke.goog` },
            ipEndpointsConfig: { enabled: true },
        },
    }),
    "gcp:serviceaccount/account:Account": (name, inputs) => ({
        email: `${String(inputs.accountId ?? name)}@${String(inputs.project ?? "project")}.iam.gserviceaccount.com`,
    }),
    "gcp:kms/cryptoKey:CryptoKey": (name) => ({ id: `projects/p/locations/l/keyRings/r/cryptoKeys/${name}` }),
    "azure-native:resources:ResourceGroup": (name, inputs) => ({ name: inputs.resourceGroupName ?? name }),
    "azure-native:containerservice:ManagedCluster": (name, inputs) => ({
        name: inputs.resourceName ?? name,
        fqdn: `${name}.hcp.westeurope.azmk8s.io`,
        oidcIssuerProfile: { enabled: true, issuerURL: `https://westeurope.oic.prod-aks.azure.com/tenant/${name}/` },
    }),
    "azure-native:keyvault:Key": (name, inputs) => ({
        keyUriWithVersion: `https://vault.vault.azure.net/keys/${String(inputs.keyName ?? name)}/0123456789abcdef0123456789abcdef`,
    }),
    "azure-native:managedidentity:UserAssignedIdentity": (name) => ({
        clientId: "00000000-0000-0000-0000-00000000c11e",
        principalId: "00000000-0000-0000-0000-0000000000a1",
        tenantId: "00000000-0000-0000-0000-0000000000e1",
        id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    }),
    // The k3s kubeconfig read (`sudo cat /etc/rancher/k3s/k3s.yaml`, possibly secret) returns a k3s-style kubeconfig.
    "command:remote:Command": (name, inputs) => ({
        stdout: /\/etc\/rancher\/k3s\/k3s\.yaml|service-account-token/.test(JSON.stringify(inputs.create ?? "")) ? [
            "apiVersion: v1", "kind: Config", "clusters:",
            `- cluster: {certificate-authority-data: ${FAKE_CA}, server: "https://127.0.0.1:6443"}`, "  name: default",
            "contexts:", "- context: {cluster: default, user: default}", "  name: default", "current-context: default",
            "users:", "- name: default", `  user: {client-certificate-data: ${FAKE_CA}, client-key-data: fake-key-${name}}`,
        ].join("\n") : "",
        stderr: "",
    }),
    // The tls provider's key outputs: PKCS#1 / SEC1 private key, SPKI public key.
    "tls:index/privateKey:PrivateKey": (_name, inputs) => fakeKeyPair(inputs),
    "tls:index/selfSignedCert:SelfSignedCert": (name) => ({
        certPem: `-----BEGIN CERTIFICATE-----\nfake-${name}\n-----END CERTIFICATE-----\n`, validityStartTime: "2026-12-04T00:00:00Z",
    }),
    "random:index/randomPassword:RandomPassword": () => ({ result: "fake-random-password-0123456789abcdef" }),
    "random:index/randomBytes:RandomBytes": () => ({ base64: "ZmFrZS1yYW5kb20tYnl0ZXMtMDEyMzQ1Njc4OWFiY2RlZg==" }),
};

/** Fake computed outputs for `type`, merged over the inputs by the mock runtime. */
export function fakeOutputs(type: string, name: string, inputs: Inputs): Inputs {
    return table[type]?.(name, inputs) ?? {};
}

/** Answers to the few invokes the program makes (none may reach a cloud). */
export function fakeInvoke(token: string, inputs: Inputs): Inputs {
    switch (token) {
        case "azure-native:containerservice:listManagedClusterUserCredentials":
            return {
                kubeconfigs: [{
                    name: "clusterUser",
                    value: Buffer.from([
                        "apiVersion: v1", "kind: Config", "clusters:",
                        `- cluster: {server: "https://${String(inputs.resourceName)}.hcp.westeurope.azmk8s.io:443"}`,
                        `  name: ${String(inputs.resourceName)}`,
                        "users:", "- name: clusterUser", "  user:", "    exec:",
                        "      apiVersion: client.authentication.k8s.io/v1beta1", "      command: kubelogin",
                        "      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]",
                    ].join("\n")).toString("base64"),
                }],
            };
        default:
            throw new Error(`the offline plan has no answer for invoke ${token}: pass the value explicitly instead`);
    }
}
