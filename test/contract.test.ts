import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { resolveConfig } from "../config/resolve";
import { CONTRACT_OUTPUTS, CONTRACT_VERSION, ContractError, contractOutputs, readTrainingContract, validateContract } from "../stacks/contract";
import { defaultBootstrap, defaultModelStoreEndpoint, trainingContract } from "../stacks/training";
import { runMocked, settle } from "./helpers/run";

const good = {
    contractVersion: CONTRACT_VERSION,
    modelCatalog: [{ name: "fraud", version: "1.0.0", format: "onnx", runtime: "kserve-tritonserver", artifactPath: "fraud/1.0.0/", gpu: 1 }],
    modelStore: { endpoint: "https://s3.example", bucket: "models", region: "default", caCert: "-----BEGIN CERTIFICATE-----" },
    modelStoreReadCredentials: { accessKeyId: "AKIA", secretAccessKey: "s" },
    streaming: { engine: "kafka", bootstrap: "kafka.example:9094", caCert: null, feedbackTopics: ["inference-feedback"] },
    streamingReplicationCredentials: { "prod-aws": { username: "feedback-prod-aws", password: "p" } },
};

function contractError(outputs: Record<string, unknown>): ContractError {
    try {
        validateContract("acme/hybridml/prod-training", outputs);
    } catch (e) {
        if (e instanceof ContractError) return e;
        throw e;
    }
    assert.fail("expected a ContractError");
}

describe("stack-reference contract", () => {
    it("accepts a complete v2 contract", () => {
        const c = validateContract("t", good);
        assert.equal(c.modelCatalog[0].name, "fraud");
        assert.equal(c.streaming.caCert, null);
    });

    it("names every missing output and the fix", () => {
        const { modelCatalog: _m, streaming: _s, ...rest } = good;
        const err = contractError(rest);
        assert.match(err.message, /missing output\(s\): modelCatalog, streaming/);
        assert.match(err.message, /acme\/hybridml\/prod-training/);
        assert.match(err.message, /Fix: run `pulumi up` on the training stack/);
    });

    it("refuses another contract version", () => {
        assert.match(contractError({ ...good, contractVersion: 3 }).message, /contractVersion is 3, this program reads version 2: deploy matching versions/);
        // An older training stack (v1: no CA in modelStore): the version is the one clear message, with the order to fix it.
        const older = contractError({ ...good, contractVersion: 1, modelStore: { endpoint: "https://s3.example", bucket: "models", region: "default" } });
        assert.match(older.message, /contractVersion is 1, this program reads version 2: the training stack runs an older program; run pulumi up on acme\/hybridml\/prod-training/);
        assert.doesNotMatch(older.message, /caCert/);
    });

    it("reports malformed fields with their path", () => {
        const err = contractError({
            ...good,
            modelCatalog: [{ ...good.modelCatalog[0], gpu: -1 }],
            streaming: { ...good.streaming, engine: "rabbitmq", feedbackPartitions: { "inference-feedback": 0 } },
            modelStore: { ...good.modelStore, caCert: undefined, exposure: { dnsName: "s3.example" } },
        });
        assert.match(err.message, /streaming\.feedbackPartitions must map each topic to a whole number of partitions > 0/);
        assert.match(err.message, /modelStore\.caCert is missing/);
        assert.match(err.message, /modelStore\.exposure must be \{ dnsName, sans/);
        assert.match(err.message, /modelCatalog\[0\]\.gpu must be a whole number >= 0/);
        assert.match(err.message, /streaming\.engine must be kafka or pulsar/);
    });

    it("a training stack's contract comes from its config and marks the credentials secret", async () => {
        const config = resolveConfig({
            project: "p", stack: "t", secretKeysSet: new Set(["kubeconfig"]),
            values: {
                environment: "prod", roles: ["training"], cluster: { provider: "onprem" }, kubeconfig: "[secret]",
                streaming: { engine: "pulsar", replicas: 4 },
                storage: { rook: { nodes: ["s1", "s2", "s3", "s4"] } },
                models: [{ name: "m", version: "1", format: "onnx", runtime: "kserve-tritonserver", artifactPath: "m/1/", sha256: "e".repeat(64) }],
            },
        });
        const c = trainingContract(config, pulumi.output({ accessKeyId: "A", secretAccessKey: "B" }));
        assert.equal(c.modelStore.endpoint, defaultModelStoreEndpoint());
        assert.equal(c.streaming.bootstrap, defaultBootstrap("pulsar"));
        assert.deepEqual(c.streaming.feedbackTopics, ["inference-feedback"]);
        assert.deepEqual(c.modelCatalog, [{ name: "m", version: "1", format: "onnx", runtime: "kserve-tritonserver", artifactPath: "m/1/", sha256: "e".repeat(64), gpu: 1 }]);
        const outs = contractOutputs(c);
        assert.deepEqual(Object.keys(outs).sort(), [...CONTRACT_OUTPUTS].sort());
        assert.equal((await settle(outs.modelStoreReadCredentials as pulumi.Output<unknown>)).secret, true);
    });

    describe("reading through a StackReference", () => {
        const name = "acme/hybridml/prod-training";

        it("returns the validated contract with the credentials as a secret", async () => {
            const run = await runMocked(async () => readTrainingContract(new pulumi.StackReference("ref", { name }), name), {
                stackOutputs: (n) => (n === name ? { outputs: good, secretOutputNames: ["modelStoreReadCredentials", "streamingReplicationCredentials"] } : undefined),
            });
            const contract = run.value;
            assert.equal(contract.modelStore.bucket, "models");
            const creds = await settle(contract.modelStoreReadCredentials);
            assert.equal(creds.secret, true);
            assert.deepEqual(creds.value, good.modelStoreReadCredentials);
            assert.equal(run.one("pulumi:pulumi:StackReference").read, true);
        });

        it("fails with a ContractError when the training stack has no outputs", async () => {
            await assert.rejects(
                runMocked(async () => readTrainingContract(new pulumi.StackReference("ref", { name }), name), {
                    stackOutputs: () => ({ outputs: {}, secretOutputNames: [] }),
                }),
                (e: unknown) => e instanceof ContractError && /missing output\(s\): contractVersion, modelCatalog/.test(e.message),
            );
        });
    });
});
