/**
 * Cron schedules as a Kubernetes CronJob accepts them (robfig/cron standard parser): five fields
 * (minute hour day-of-month month day-of-week) of `*`, numbers, ranges `a-b`, steps `x/n` and lists
 * `a,b`, month and weekday names, `?` for a day field, or one of the macros `@yearly`, `@monthly`,
 * `@weekly`, `@daily`, `@hourly` (`@every` and `TZ=` are refused by the API server). Pure.
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

interface Field { name: string; min: number; max: number; names?: string[]; names0?: number; question?: boolean }
const FIELDS: Field[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31, question: true },
    { name: "month", min: 1, max: 12, names: MONTHS, names0: 1 },
    { name: "day of week", min: 0, max: 7, names: DAYS, names0: 0, question: true },
];

function value(s: string, f: Field): number | undefined {
    if (/^\d+$/.test(s)) return Number(s);
    const i = f.names?.indexOf(s.toLowerCase()) ?? -1;
    return i >= 0 ? i + (f.names0 ?? 0) : undefined;
}

/** Why one field is invalid, or undefined. */
function fieldProblem(text: string, f: Field): string | undefined {
    for (const part of text.split(",")) {
        const [range, step, extra] = part.split("/");
        if (extra !== undefined || range === "") return `${f.name} ${JSON.stringify(text)} is not a number, range, step or list`;
        if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return `${f.name} step ${JSON.stringify(step)} must be a number >= 1`;
        if (range === "*" || (range === "?" && f.question)) continue;
        const [a, b, more] = range.split("-");
        if (more !== undefined) return `${f.name} ${JSON.stringify(part)} is not a range`;
        const lo = value(a, f);
        const hi = b === undefined ? lo : value(b, f);
        const names = f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : "";
        if (lo === undefined || hi === undefined) return `${f.name} ${JSON.stringify(part)} must be ${f.min}-${f.max}${names}`;
        if (lo < f.min || hi > f.max) return `${f.name} ${JSON.stringify(part)} is out of range ${f.min}-${f.max}`;
        if (lo > hi) return `${f.name} range ${JSON.stringify(part)} runs backwards`;
    }
    return undefined;
}

/** Why `schedule` is not a valid CronJob schedule, or undefined when it is. */
export function cronProblem(schedule: string): string | undefined {
    const s = schedule.trim();
    if (s.startsWith("@")) return MACROS.includes(s) ? undefined : `${JSON.stringify(s)} is not one of ${MACROS.join(", ")}`;
    if (/^(CRON_)?TZ=/.test(s)) return "a time zone prefix (TZ=) is refused by Kubernetes: the schedule runs in the controller's time zone";
    const fields = s.split(/\s+/);
    if (fields.length !== 5) return `it has ${fields.length} field(s), a cron schedule has 5 (minute hour day-of-month month day-of-week)`;
    for (const [i, f] of FIELDS.entries()) {
        const p = fieldProblem(fields[i], f);
        if (p) return p;
    }
    return undefined;
}
