import { faultRulesSchema, type FaultRule } from "./fault-rule.js";

/** The fault rules in effect and how many uses each has left. */
export interface FaultSchedule {
  /** Replaces every rule; throws a `ZodError` when a rule is invalid. */
  replace(rules: readonly FaultRule[]): void;
  /** The rules with uses left, with `times` showing the remaining uses. */
  list(): FaultRule[];
  /**
   * Picks the first rule that matches the request and has uses left, and consumes one use.
   * Returns `undefined` when no rule applies.
   */
  take(request: FaultMatch): FaultRule | undefined;
}

/** What a rule is matched against. */
export interface FaultMatch {
  /** The requested model. */
  model: string;
  /** Whether the turn the simulator is about to produce calls tools. */
  callsTools: boolean;
  /** The request's system message; empty when it has none. */
  system?: string;
}

interface ScheduledRule {
  readonly rule: FaultRule;
  remaining: number;
  toSkip: number;
  /** Matching requests seen, for `every`. */
  seen: number;
}

/** Creates a schedule holding validated copies of `rules`, so callers can't change them afterwards. */
export function createFaultSchedule(rules: readonly FaultRule[] = []): FaultSchedule {
  let scheduled: ScheduledRule[] = schedule(rules);
  return {
    replace(next) {
      scheduled = schedule(next);
    },
    list() {
      return scheduled
        .filter((entry) => entry.remaining > 0)
        .map((entry) => {
          const { skip: _skip, ...rule } = entry.rule;
          return {
            ...rule,
            ...(entry.remaining === Infinity ? {} : { times: entry.remaining }),
            ...(entry.toSkip > 0 ? { skip: entry.toSkip } : {}),
          };
        });
    },
    take(request) {
      // The common case in benchmarks is no faults at all: keep it a length check.
      if (scheduled.length === 0) return undefined;
      for (const entry of scheduled) {
        if (entry.remaining <= 0 || !matches(entry.rule, request)) continue;
        if (entry.toSkip > 0) {
          // This request passes untouched; later rules get no say over it either.
          entry.toSkip -= 1;
          return undefined;
        }
        entry.seen += 1;
        if ((entry.seen - 1) % (entry.rule.every ?? 1) !== 0) {
          return undefined;
        }
        entry.remaining -= 1;
        return entry.rule;
      }
      return undefined;
    },
  };
}

function schedule(rules: readonly FaultRule[]): ScheduledRule[] {
  return faultRulesSchema
    .parse(rules)
    .map((rule) => ({ rule: Object.freeze(rule), remaining: rule.times ?? Infinity, toSkip: rule.skip ?? 0, seen: 0 }));
}

function matches(rule: FaultRule, request: FaultMatch): boolean {
  if (rule.model !== undefined && rule.model !== request.model) return false;
  if (rule.systemContains !== undefined && !(request.system ?? "").includes(rule.systemContains)) return false;
  // A tool-argument fault has nothing to corrupt in a plain answer; letting it match would
  // spend its uses invisibly.
  if (rule.kind === "invalid-tool-arguments" && !request.callsTools) return false;
  return true;
}
