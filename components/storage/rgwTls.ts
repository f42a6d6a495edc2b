/**
 * RgwTls: the certificate of the training object store's RGW, issued in the program from a
 * Pulumi-managed CA (@pulumi/tls). Its SANs cover the external name serving clusters use and the
 * in-cluster Service names Rook's operator calls (it manages RGW through
 * `https://rook-ceph-rgw-<store>.<namespace>.svc` once a securePort is set). The CA certificate is
 * public and goes into the contract; the keys are secrets and never leave this stack.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { StreamingCa } from "../streaming/streamingCa";

export interface RgwTlsArgs {
    /** The tls provider (stacks disable default providers). Required. */
    tlsProvider: tls.Provider;
    /** DNS names of the certificate (external name first, then the in-cluster names). Required, non-empty. */
    dnsNames: string[];
    /** Common name of the CA. Default `hybridml object store CA`. */
    caCommonName?: string;
    /** Validity of the leaf certificate in hours. Default 8760 (1 year), renewed 30 days before the end. */
    validityHours?: number;
    /** Protect the CA key (a new CA breaks every consumer's trust). Default false. */
    protect?: boolean;
}

export class RgwTls extends pulumi.ComponentResource {
    /** PEM CA certificate (public: consumers trust it). */
    public readonly caCertPem: pulumi.Output<string>;
    /** PEM certificate of RGW. */
    public readonly certPem: pulumi.Output<string>;
    /** PEM private key of RGW (secret). */
    public readonly privateKeyPem: pulumi.Output<string>;
    /** The names the certificate carries. */
    public readonly dnsNames: string[];

    constructor(name: string, args: RgwTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:storage:RgwTls", name, {}, opts);
        if (args.dnsNames.length === 0) throw new Error(`RgwTls ${name}: dnsNames must not be empty`);
        const ca = new StreamingCa(`${name}-ca`, {
            tlsProvider: args.tlsProvider, commonName: args.caCommonName ?? "hybridml object store CA", protect: args.protect,
        }, { parent: this });
        const child = { parent: this, provider: args.tlsProvider };
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, child);
        const csr = new tls.CertRequest(`${name}-csr`, {
            privateKeyPem: key.privateKeyPem, subject: { commonName: args.dnsNames[0], organization: "hybridml" }, dnsNames: args.dnsNames,
        }, child);
        const cert = new tls.LocallySignedCert(`${name}-cert`, {
            certRequestPem: csr.certRequestPem, caCertPem: ca.certPem, caPrivateKeyPem: ca.privateKeyPem,
            validityPeriodHours: args.validityHours ?? 8760, earlyRenewalHours: 720,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        }, child);
        this.caCertPem = ca.certPem;
        this.certPem = cert.certPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.dnsNames = [...args.dnsNames];
        this.registerOutputs({ caCertPem: this.caCertPem, certPem: this.certPem, privateKeyPem: this.privateKeyPem, dnsNames: this.dnsNames });
    }
}
