/**
 * Entry point: load and validate config (nothing is registered if it is invalid), then build the
 * platform. Pulumi awaits the exported function and publishes what it returns as stack outputs.
 */
import { loadConfig } from "./config";
import { buildPlatform } from "./stacks/platform";

export = async () => buildPlatform(loadConfig());
