/**
 * Runs a Pulumi program under Pulumi's own mock runtime and records every registration
 * (SPEC 8): type, name, parent, provider, dependencies, protect flag and inputs, with
 * secrets and unknowns kept recognisable. The engine behind `npm run plan` and the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { Callback as CallbackMessage } from "@pulumi/pulumi/proto/callback_pb";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settingsModule from "@pulumi/pulumi/runtime/settings";
import * as stateModule from "@pulumi/pulumi/runtime/state";
import { fakeOutputs, fakeInvoke } from "./fakes";

// `waitForRPCs` is exported by @pulumi/pulumi at run time but marked internal in its typings.
const settings = settingsModule as unknown as typeof settingsModule & { waitForRPCs(): Promise<void> };

/** A secret value as recorded; plans print it as "[secret]". */
export class SecretValue {
    constructor(public readonly value: unknown) {}
}
/** A value not known until deployment (preview). */
export const UNKNOWN = "[unknown]";

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** Parent URN ("" for the root stack). */
    parent: string;
    /** Provider reference `urn::id` ("" when the default provider would be used). */
    provider: string;
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    /** Properties whose changes the engine ignores (`ignoreChanges`). */
    ignoreChanges?: string[];
    /** `customTimeouts` the program set (provider await limits); absent when none. */
    customTimeouts?: { create?: string; update?: string; delete?: string };
    /** `deleteBeforeReplace` was set. */
    deleteBeforeReplace?: boolean;
    /** URNs this resource was known by before (its `aliases`, resolved as the engine resolves them). */
    aliases?: string[];
    /** Names of the resource transforms (`transforms` option) the engine would run on it and its children. */
    transforms?: string[];
    /** True for resources read rather than created (StackReference, `get`). */
    read: boolean;
    custom: boolean;
    additionalSecretOutputs: string[];
    /** Inputs with secrets as `SecretValue` and unknowns as `UNKNOWN`. */
    inputs: Record<string, unknown>;
}

/** Outputs of another stack, as a StackReference reads them. */
export interface StackOutputs {
    outputs: Record<string, unknown>;
    secretOutputNames: string[];
}

/** Convert the wire form of properties into plain values with secret and unknown markers. */
export function fromWire(v: unknown): unknown {
    if (v === rpc.unknownValue) return UNKNOWN;
    if (Array.isArray(v)) return v.map(fromWire);
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        const sig = o[rpc.specialSigKey];
        if (sig === rpc.specialSecretSig) return new SecretValue(fromWire(o.value));
        if (sig === rpc.specialResourceSig) return { urn: o.urn, id: o.id === undefined ? undefined : fromWire(o.id) };
        if (sig === rpc.specialAssetSig || sig === rpc.specialArchiveSig) return { asset: o.path ?? o.uri ?? "[text]" };
        if (sig === rpc.specialOutputValueSig) {
            const inner = "value" in o ? fromWire(o.value) : UNKNOWN;
            return o.secret ? new SecretValue(inner) : inner;
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromWire(x)]));
    }
    return v;
}

/** Replace secrets by "[secret]" for display; everything else as is. */
export function mask(v: unknown): unknown {
    if (v instanceof SecretValue) return "[secret]";
    if (Array.isArray(v)) return v.map(mask);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
    return v;
}

/** Strip secret markers, keeping the values (tests only). */
export function reveal(v: unknown): unknown {
    if (v instanceof SecretValue) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

interface Req { [getter: string]: () => unknown }
type Callback = (err: unknown, resp: unknown) => void;
/** The two monitor calls the recorder listens to (MockMonitor's own methods). */
interface MonitorCalls {
    registerResource(req: Req, callback: Callback): Promise<void>;
    readResource(req: Req, callback: Callback): Promise<void>;
}

/** The request's custom timeouts (only those set). */
function customTimeoutsOf(req: Req): { customTimeouts?: RecordedResource["customTimeouts"] } {
    const t = req.getCustomtimeouts?.() as { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
    if (!t) return {};
    const out = Object.fromEntries(([["create", t.getCreate()], ["update", t.getUpdate()], ["delete", t.getDelete()]] as const).filter(([, v]) => v));
    return Object.keys(out).length > 0 ? { customTimeouts: out } : {};
}

interface AliasSpecMessage {
    getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean;
}
interface AliasMessage { getUrn(): string; getSpec(): AliasSpecMessage | undefined }

/**
 * The URNs of a registration's aliases: URN aliases as given, alias specs resolved as the engine
 * resolves them (name, type, stack, project default to the resource's own; the parent to its own
 * parent unless `noParent` or another `parentUrn` is given), in the URN scheme of the plan's own
 * URNs (Pulumi's mock monitor: the parent's own type, then `$`, then the type).
 */
export function aliasUrns(req: Req, stack: string, project: string): string[] {
    const urns = ((req.getAliasurnsList?.() as string[] | undefined) ?? []).slice();
    for (const a of ((req.getAliasesList?.() as AliasMessage[] | undefined) ?? [])) {
        if (a.getUrn()) {
            urns.push(a.getUrn());
            continue;
        }
        const spec = a.getSpec();
        if (!spec) continue;
        const parent = spec.getNoparent() ? "" : spec.getParenturn() || String(req.getParent() ?? "");
        const type = spec.getType() || String(req.getType());
        const parentType = parent ? `${(parent.split("::")[2] ?? "").split("$").pop()}$` : "";
        urns.push(`urn:pulumi:${spec.getStack() || stack}::${spec.getProject() || project}::${parentType}${type}::${spec.getName() || String(req.getName())}`);
    }
    return urns;
}

/**
 * Pulumi's mock runtime refuses `transforms` (it has no callback server). This stand-in registers each
 * transform under a token and keeps the function, so a plan records which transforms a resource carries
 * (the engine runs them on the children of remote components, which mocks never register).
 */
class TransformCallbacks {
    static readonly registered = new Map<string, pulumi.ResourceTransform>();
    async registerTransform(transform: pulumi.ResourceTransform): Promise<CallbackMessage> {
        const token = `transform-${TransformCallbacks.registered.size}`;
        TransformCallbacks.registered.set(token, transform);
        const cb = new CallbackMessage();
        cb.setToken(token);
        cb.setTarget("mock");
        return cb;
    }
    registerStackTransform(): void {
        throw new Error("stack transforms are not recorded by the plan; use the transforms option of a resource");
    }
    async awaitStackRegistrations(): Promise<void> {}
    shutdown(): void {}
}

function transformsOf(req: Req): { transforms?: string[] } {
    const list = (req as { getTransformsList?: () => { getToken(): string }[] }).getTransformsList?.() ?? [];
    if (list.length === 0) return {};
    return { transforms: list.map((c) => TransformCallbacks.registered.get(c.getToken())?.name || "anonymous") };
}

/** Records every registration and read that reaches the monitor it is attached to. */
class Recorder {
    readonly records: RecordedResource[] = [];

    constructor(private readonly stack = "", private readonly project = "") {}

    /** Wrap the monitor's register and read calls (the monitor still answers them). */
    attach(monitor: MonitorCalls): void {
        const register = monitor.registerResource.bind(monitor);
        const read = monitor.readResource.bind(monitor);
        monitor.registerResource = (req, cb) => register(req, this.wrap(this.record(req, false), cb));
        monitor.readResource = (req, cb) => read(req, this.wrap(this.record(req, true), cb));
    }

    private record(req: Req, read: boolean): RecordedResource {
        const props = (read ? req.getProperties() : req.getObject()) as { toJavaScript(): Record<string, unknown> };
        const rec: RecordedResource = {
            urn: "",
            type: req.getType() as string,
            name: req.getName() as string,
            parent: (req.getParent() as string) ?? "",
            provider: (req.getProvider() as string) ?? "",
            dependencies: (req.getDependenciesList() as string[]) ?? [],
            protect: read ? false : Boolean(req.getProtect()),
            retainOnDelete: read ? false : Boolean(req.getRetainondelete()),
            ignoreChanges: read ? [] : (req as { getIgnorechangesList?: () => string[] }).getIgnorechangesList?.() ?? [],
            ...(read ? {} : customTimeoutsOf(req)),
            ...(!read && req.getDeletebeforereplace?.() ? { deleteBeforeReplace: true } : {}),
            aliases: read ? [] : aliasUrns(req, this.stack, this.project),
            ...(read ? {} : transformsOf(req)),
            read,
            custom: read ? true : Boolean(req.getCustom()),
            additionalSecretOutputs: (req.getAdditionalsecretoutputsList() as string[]) ?? [],
            inputs: fromWire(props.toJavaScript()) as Record<string, unknown>,
        };
        this.records.push(rec);
        return rec;
    }

    private wrap(rec: RecordedResource, callback: Callback): Callback {
        return (err, resp) => {
            if (!err && resp) rec.urn = (resp as { getUrn(): string }).getUrn();
            callback(err, resp);
        };
    }
}

export interface RunOptions {
    project: string;
    stack: string;
    /** Full config map (`ns:key` -> raw string), as the CLI passes it. */
    config?: Record<string, string>;
    /** Keys of `config` that are secrets. */
    secretKeys?: string[];
    /** Preview (true, as `pulumi preview`: computed outputs unknown) or update (false: fake computed outputs). */
    preview?: boolean;
    /** Outputs of the stacks that StackReferences name (full name `org/project/stack`). */
    stackOutputs?: (fullName: string) => StackOutputs | undefined;
}

export interface RunResult<T> {
    resources: RecordedResource[];
    /** The program's return value (stack outputs) with secret markers. */
    outputs: Record<string, unknown>;
    /** The value the program function returned, for in-process assertions. */
    value: T | undefined;
    error?: Error;
}

/**
 * Program errors `runProgram` hands back. The root Stack resource keeps further promises of the
 * failed program that nobody awaits; their rejection surfaces later, after the caller has the error
 * (e.g. while `--compare` writes the report), and must not crash the process a second time.
 */
const returnedErrors = new WeakSet<object>();
let rejectionGuard = false;
function guardReturnedErrors(): void {
    if (rejectionGuard) return;
    rejectionGuard = true;
    process.on("unhandledRejection", (reason) => {
        if (reason !== null && typeof reason === "object" && returnedErrors.has(reason)) return;
        throw reason; // what Node does without a listener: any other rejection is a bug
    });
}

/**
 * Run `program` as the root of a stack under the mock runtime, recording every registration.
 * Never throws for program errors: they come back in `error`, with the resources registered before.
 */
export async function runProgram<T>(program: () => T | Promise<T>, opts: RunOptions): Promise<RunResult<T>> {
    const preview = opts.preview ?? true;
    pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
    const mocks: pulumi.runtime.Mocks = {
        newResource(args: MockResourceArgs): MockResourceResult {
            if (args.type === "pulumi:pulumi:StackReference") {
                const name = String(args.inputs.name ?? args.name);
                const found = opts.stackOutputs?.(name);
                if (!found) throw new Error(`StackReference ${name}: no plan of that stack (plan it first, or check trainingStack)`);
                return { id: name, state: { name, outputs: found.outputs, secretOutputNames: found.secretOutputNames } };
            }
            const id = preview && !args.id ? undefined : args.id || `${args.name}-id`;
            return { id, state: { ...args.inputs, ...(preview ? {} : fakeOutputs(args.type, args.name, args.inputs)) } };
        },
        call(args) {
            return fakeInvoke(args.token, args.inputs);
        },
    };
    // Pulumi's own mock runtime (with the feature flags it sets), then the recorder on its monitor.
    await pulumi.runtime.setMocks(mocks, opts.project, opts.stack, preview);
    const store = (stateModule as unknown as { getStore(): { supportsTransforms: boolean; callbacks?: unknown } }).getStore();
    store.supportsTransforms = true;
    store.callbacks = new TransformCallbacks();
    const recorder = new Recorder(opts.stack, opts.project);
    recorder.attach(settings.getMonitor() as unknown as MonitorCalls);

    let value: T | undefined;
    let error: Error | undefined;
    let outputs: Record<string, unknown> = {};
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            value = await program();
            return value as unknown as Record<string, unknown>;
        });
        // Serialize the returned value ourselves: the stack's own outputs promise is undefined in a
        // preview as soon as one output is unknown, while this keeps the known ones.
        const returned = (value ?? {}) as Record<string, unknown>;
        const serialized = await rpc.serializeProperties("outputs", returned);
        outputs = fromWire(serialized) as Record<string, unknown>;
        // An unknown value serializes without its secret flag; keep it from the Output itself.
        for (const [k, v] of Object.entries(returned)) {
            if (pulumi.Output.isInstance(v) && await pulumi.isSecret(v) && !(outputs[k] instanceof SecretValue)) {
                outputs[k] = new SecretValue(outputs[k]);
            }
        }
    } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
    }
    try {
        await settings.waitForRPCs();
    } catch (e) {
        error ??= e instanceof Error ? e : new Error(String(e));
    }
    if (error) {
        guardReturnedErrors();
        returnedErrors.add(error);
    }
    return { resources: recorder.records, outputs, value, error };
}
