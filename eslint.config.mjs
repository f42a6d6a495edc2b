// ESLint: typescript-eslint's recommended rules plus Pulumi's rules against Outputs in template
// literals (they need type information, so linting uses the TypeScript project).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "plan/", ".cache/"] },
    ...tseslint.configs.recommended,
    {
        // The ts-node register hooks are CommonJS scripts loaded with `node -r`.
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", __dirname: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
            "@typescript-eslint/no-explicit-any": "off",
        },
    },
);
