// Baseline: how Pulumi starts a TypeScript program by default (ts-node with type-checking,
// i.e. without tsconfig.pulumi.json's noCheck).
require("ts-node").register({
    transpileOnly: false,
    project: require("path").join(__dirname, "..", "tsconfig.json"),
});
