// Baseline of `npm run bench`: how Pulumi starts a TypeScript program by default
// (Pulumi.yaml `typescript: true` without `noCheck`: ts-node with type-checking).
require("ts-node").register({
    transpileOnly: false,
    project: require("path").join(__dirname, "..", "tsconfig.json"),
});
