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
