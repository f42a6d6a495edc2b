/**
 * A generated S3 key pair for a Ceph object-store user (Rook `CephObjectStoreUser.spec.keys`
 * takes it from a Kubernetes Secret). Generated here so the training stack can publish it, as a
 * secret, to the serving stacks without anyone handling keys.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** An S3 access key pair (structurally the contract's `ModelStoreCredentials`). */
export interface S3KeyPair {
    accessKeyId: string;
    secretAccessKey: string;
}

export interface S3CredentialsArgs {
    /** Bump to rotate the key pair. Default 1. */
    rotation?: number;
    /**
     * The `random` provider the key pair is generated with. Default: the one in `opts.providers`;
     * one of the two is required (stacks disable default providers).
     */
    provider?: random.Provider;
}

export class S3Credentials extends pulumi.ComponentResource {
    /** The key pair, secret. */
    public readonly credentials: pulumi.Output<S3KeyPair>;

    constructor(name: string, args: S3CredentialsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:storage:S3Credentials", name, {}, opts);
        const provider = args.provider ?? this.getProvider("random:index/randomPassword:RandomPassword");
        if (!provider) {
            throw new Error(`S3Credentials ${name}: pass a random provider (args.provider or opts.providers): default providers are disabled`);
        }
        const keepers = { rotation: String(args.rotation ?? 1) };
        // S3 access key IDs are 20 upper-case alphanumerics; secrets 40 characters. Both are
        // RandomPasswords: a RandomString's ID is its value, which the state keeps in clear whatever
        // additionalSecretOutputs says (found by the e2e's state check); a RandomPassword's ID is "none".
        const accessKeyId = new random.RandomPassword(`${name}-access-key`, {
            length: 20, upper: true, lower: false, numeric: true, special: false, keepers,
        }, { parent: this, provider });
        const secretAccessKey = new random.RandomPassword(`${name}-secret-key`, {
            length: 40, special: false, keepers,
        }, { parent: this, provider });
        this.credentials = pulumi.secret(pulumi.all([accessKeyId.result, secretAccessKey.result])
            .apply(([id, key]) => ({ accessKeyId: id, secretAccessKey: key })));
        this.registerOutputs({ credentials: this.credentials });
    }
}
