/** The CRD validator lives with the schema tools (the plan's compare report uses it too). */
export * from "../../tools/schemas/crds";
