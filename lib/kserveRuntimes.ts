/**
 * The ClusterServingRuntimes the pinned kserve-runtime-configs chart (lib/versions.ts
 * `charts.kserve`) can install, each with its key in the chart's values. Config validates
 * `serving.runtimes` against it; the KServe component switches the chart's runtimes with it.
 * vllm is left out: the chart tags its image `latest`.
 */
export const KSERVE_RUNTIMES = {
    "kserve-tritonserver": "tritonserver",
    "kserve-huggingfaceserver": "huggingfaceserver",
    "kserve-sklearnserver": "sklearnserver",
    "kserve-xgbserver": "xgbserver",
    "kserve-lgbserver": "lgbserver",
    "kserve-mlserver": "mlserver",
    "kserve-torchserve": "torchserve",
    "kserve-tensorflow-serving": "tensorflow",
    "kserve-pmmlserver": "pmmlserver",
    "kserve-paddleserver": "paddleserver",
    "kserve-predictiveserver": "predictiveserver",
    "kserve-autogluonserver": "autogluonserver",
} as const;
export type KserveRuntime = keyof typeof KSERVE_RUNTIMES;

/**
 * The model formats (config `models[].format`) each runtime's ClusterServingRuntime lists in
 * `supportedModelFormats` in the pinned chart; config refuses a model whose runtime does not serve
 * its format (KServe would find no runtime for the InferenceService).
 */
export const RUNTIME_FORMATS: Readonly<Record<KserveRuntime, readonly string[]>> = {
    "kserve-tritonserver": ["onnx", "pytorch", "tensorflow", "tensorrt", "triton"],
    "kserve-huggingfaceserver": ["huggingface"],
    "kserve-sklearnserver": ["sklearn"],
    "kserve-xgbserver": ["xgboost"],
    "kserve-lgbserver": ["lightgbm"],
    "kserve-mlserver": ["sklearn", "xgboost", "lightgbm", "mlflow"],
    "kserve-torchserve": ["pytorch"],
    "kserve-tensorflow-serving": ["tensorflow"],
    "kserve-pmmlserver": ["pmml"],
    "kserve-paddleserver": ["paddle"],
    "kserve-predictiveserver": ["sklearn", "xgboost", "lightgbm"],
    "kserve-autogluonserver": ["autogluon"],
};

/**
 * What a runtime serves from `/mnt/models` (the storage URI's local copy), and so how a catalogue
 * artefact is laid out under the URI:
 * - `repository`: a Triton model repository. `kserve-tritonserver` starts Triton with
 *   `--model-repository=/mnt/models`, so the URI is the repository root and the artefact (a Triton model
 *   directory: `config.pbtxt` and numeric version folders) sits in it as `<root>/<model name>/`.
 * - `model-dir`: the model server loads the directory itself (Hugging Face: `config.json` and weights;
 *   scikit-learn, XGBoost, LightGBM: the model file in it), so the artefact is copied to the URI.
 */
export type ArtefactLayout = "repository" | "model-dir";

/** Layout per runtime (every runtime not listed: `model-dir`). */
export const RUNTIME_LAYOUTS: Partial<Record<KserveRuntime, ArtefactLayout>> = {
    "kserve-tritonserver": "repository",
};

/** Runtimes whose artefact must be a directory (`artifactPath` ending in `/`). */
const DIRECTORY_RUNTIMES: ReadonlySet<string> = new Set(["kserve-tritonserver", "kserve-huggingfaceserver", "kserve-tensorflow-serving", "kserve-torchserve"]);

/** The layout of a runtime's artefacts. */
export function artefactLayout(runtime: string): ArtefactLayout {
    return RUNTIME_LAYOUTS[runtime as KserveRuntime] ?? "model-dir";
}

/**
 * Path below the storage URI where the artefact's content goes: the model's own folder in a
 * repository, the URI itself otherwise.
 */
export function artefactSubPath(m: { name: string; runtime: string }): string {
    return artefactLayout(m.runtime) === "repository" ? m.name : "";
}

/** Why a catalogue entry cannot be served as its runtime expects (empty: fine). */
export function artefactProblems(m: { name: string; runtime: string; artifactPath: string }): string[] {
    if (DIRECTORY_RUNTIMES.has(m.runtime) && !m.artifactPath.endsWith("/")) {
        const what = artefactLayout(m.runtime) === "repository"
            ? "a Triton model directory (config.pbtxt and numeric version folders, e.g. fraud-detector/3.2.0/ holding config.pbtxt and 1/model.onnx), not one file"
            : "a model directory";
        return [`model ${m.name}: runtime ${m.runtime} serves ${what}: artifactPath must end in "/" (got ${JSON.stringify(m.artifactPath)})`];
    }
    return [];
}

/**
 * InferenceService annotation that makes KServe annotate its predictor pods for scraping with the
 * runtime's `prometheus.kserve.io/port` and `/path` (as `prometheus.io/port`, `prometheus.io/path`).
 */
export const ISVC_SCRAPE_ANNOTATION = "serving.kserve.io/enable-prometheus-scraping";
