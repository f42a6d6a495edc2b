// Loads TypeScript the way `pulumi up` does with tsconfig.pulumi.json: ts-node, transpile only.
// Used by npm scripts (plan, bench, tests); `npm run build` does the type-check.
require("ts-node").register({
    transpileOnly: true,
    project: require("path").join(__dirname, "..", "tsconfig.pulumi.json"),
});
