import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ConfigError } from '../errors.ts';
import { isValidIsoDate } from '../sql/literals.ts';
import { readableIssues } from './issues.ts';
import { FEATURES, LIFECYCLE_STAGES, RFM_SEGMENT_IDS, isFeatureName, type FeatureSpec } from './features.ts';
import { PERSONA_LANGUAGES, PersonaLanguage } from './outputs.ts';
import { compareText } from '../compare.ts';

/**
 * `segments.config.json`: thresholds and rule segments. Parsed once, before any query runs; every problem is
 * reported with its path in the file (e.g. `segments[2].rule.all[1].value`).
 */

const comparison = z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']);
const scalar = z.union([z.string().max(500), z.number().finite(), z.boolean()]);
const featureName = z.string().min(1).max(100);

const Comparison = z.strictObject({ feature: featureName, op: comparison, value: scalar });
const InList = z.strictObject({
  feature: featureName,
  op: z.enum(['in', 'not_in']),
  values: z.array(z.union([z.string().max(500), z.number().finite()])).min(1).max(1000),
});
const Between = z.strictObject({
  feature: featureName,
  op: z.literal('between'),
  min: z.union([z.number().finite(), z.string().max(10)]),
  max: z.union([z.number().finite(), z.string().max(10)]),
});
const WithinLastDays = z.strictObject({
  feature: featureName,
  op: z.literal('within_last_days'),
  days: z.number().int().min(0).max(36_500),
});
const NullCheck = z.strictObject({ feature: featureName, op: z.enum(['is_null', 'not_null']) });
const Contains = z.strictObject({ feature: featureName, op: z.literal('contains'), value: z.string().min(1).max(500) });
const ContainsAny = z.strictObject({
  feature: featureName,
  op: z.enum(['contains_any', 'contains_all']),
  values: z.array(z.string().min(1).max(500)).min(1).max(1000),
});

export type LeafCondition =
  | z.infer<typeof Comparison>
  | z.infer<typeof InList>
  | z.infer<typeof Between>
  | z.infer<typeof WithinLastDays>
  | z.infer<typeof NullCheck>
  | z.infer<typeof Contains>
  | z.infer<typeof ContainsAny>;
export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(Condition).min(1).max(100) }),
    z.strictObject({ any: z.array(Condition).min(1).max(100) }),
    z.strictObject({ not: Condition }),
    // Told apart by their op, so an error in a leaf is reported at its place (see issues.ts).
    z.discriminatedUnion('op', [Comparison, InList, Between, WithinLastDays, NullCheck, Contains, ContainsAny], {
      // zod's own message lists the operators when "op" is wrong; it says nothing useful when "op" is missing.
      error: (issue) => (issue.code === 'invalid_union' && !hasOp(issue.input) ? 'missing: a leaf condition names its operator in "op"' : undefined),
    }),
  ], { error: CONDITION_SHAPES }),
);

const hasOp = (input: unknown) => typeof input === 'object' && input !== null && 'op' in input;
const CONDITION_SHAPES = 'a condition is {"all": [...]}, {"any": [...]}, {"not": {...}} or {"feature": ..., "op": ..., ...}';

const RESERVED_IDS = new Set<string>([...RFM_SEGMENT_IDS, ...LIFECYCLE_STAGES, 'all_customers']);

export const RuleSegment = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9_]{1,62}$/, 'lower-case letters, digits and _; starts with a letter; 2–63 characters')
    .refine((id) => !RESERVED_IDS.has(id), 'this id is taken by a built-in RFM segment or lifecycle stage'),
  name: z.string().min(1).max(120),
  description: z.string().max(1000).optional(),
  rule: Condition,
});
export type RuleSegment = z.infer<typeof RuleSegment>;

export const SegmentsConfig = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1),
    rfm: z
      .strictObject({
        minBuyersForQuintiles: z
          .number()
          .int()
          .min(5)
          .default(100)
          .describe('below this many customers with a purchase, RFM uses fewer bins and is marked insufficient_data'),
      })
      .prefault({}),
    lifecycle: z
      .strictObject({
        newWithinDays: z.number().int().min(1).default(30).describe('first purchase at most this many days ago → new'),
        activeWithinDays: z.number().int().min(1).default(90).describe('last purchase at most this many days ago → active'),
        lapsingWithinDays: z.number().int().min(1).default(180).describe('last purchase at most this many days ago → lapsing; older → churned'),
      })
      .prefault({})
      .refine((l) => l.newWithinDays <= l.activeWithinDays && l.activeWithinDays < l.lapsingWithinDays, {
        message: 'need newWithinDays ≤ activeWithinDays < lapsingWithinDays',
      }),
    freshness: z
      .strictObject({
        warnAfterDays: z.number().int().min(0).default(2).describe('warn when the newest row is older than this'),
        failAfterDays: z.number().int().min(0).default(30).describe('refuse to publish segments built on data older than this'),
      })
      .prefault({}),
    quality: z
      .strictObject({
        maxRejectedShare: z
          .number()
          .min(0)
          .max(1)
          .default(0.2)
          .describe('refuse to publish when more than this share of a table’s rows is quarantined'),
        maxSegmentSwing: z
          .number()
          .positive()
          .default(0.5)
          .describe('warn (and list in quality.json swings) when an RFM, lifecycle or rule segment’s size changes by more than this share since the previous complete run (discovered segments are refitted every run)'),
        minSegmentSizeForSwing: z
          .number()
          .int()
          .min(1)
          .default(100)
          .describe('only segments with at least this many customers in either run are checked for swings'),
        maxSegmentShare: z
          .number()
          .positive()
          .max(1)
          .default(0.5)
          .describe('warn (and list in quality.json broad_segments) when a rule or discovered segment holds more than this share of all customers'),
      })
      .prefault({}),
    currency: z
      .strictObject({
        reporting: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code in capitals, e.g. EUR'),
        rates: z
          .record(
            z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code in capitals'),
            z
              .number()
              .positive()
              .max(1_000_000)
              .refine((r) => Math.abs(r * 1e6 - Math.round(r * 1e6)) < 1e-6, 'at most 6 decimals, so conversion stays exact'),
          )
          .describe('value of one unit of each currency in the reporting currency, e.g. {"GBP": 1.176471}'),
      })
      .optional()
      .describe('convert order amounts to one reporting currency before summing; rows in other currencies are quarantined'),
    personas: z
      .strictObject({
        languages: z
          .array(PersonaLanguage)
          .min(1)
          .refine((l) => new Set(l).size === l.length, 'each language once')
          .default([...PERSONA_LANGUAGES])
          .describe('persona languages; personas.json holds the first, every one gets personas/<segment>.<lang>.json and .md'),
        minSegmentSize: z
          .number()
          .int()
          .min(1)
          .default(50)
          .describe('segments smaller than this get no persona; distribution values held by fewer customers are folded into other'),
      })
      .prefault({}),
    experiments: z
      .strictObject({
        salt: z
          .string()
          .min(1)
          .max(200)
          .refine((salt) => !salt.includes('\u0000'), 'cannot contain a NUL character')
          .default('segments-v1')
          .describe('salt of the experiment bucket hash (customer_segments.experiment_bucket, 0–99); change it to reshuffle every customer'),
      })
      .prefault({}),
    history: z
      .strictObject({
        maxRuns: z.number().int().min(1).max(1000).default(30).describe('complete runs kept in history.json (this run included)'),
      })
      .prefault({}),
    incremental: z
      .strictObject({
        maxStateAgeDays: z
          .number()
          .int()
          .min(1)
          .default(7)
          .describe('a feature state older than this is recomputed from every partition instead of caught up'),
        fullEveryDays: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('days between full recomputes: picks up customers deleted from the lake and refunds booked on an order from an earlier partition'),
      })
      .prefault({})
      .describe('nightly runs read only the partitions since the previous run and update its feature state; see README "Incremental refresh"'),
    segments: z.array(RuleSegment).max(200).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.segments.forEach((segment, i) => {
      const first = seen.get(segment.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['segments', i, 'id'], message: `duplicate id (also segments[${first}])` });
      } else seen.set(segment.id, i);
      checkCondition(segment.rule, ['segments', i, 'rule'], ctx);
    });
  });
export type SegmentsConfig = z.infer<typeof SegmentsConfig>;
export type SegmentsConfigInput = z.input<typeof SegmentsConfig>;

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

const OPS_BY_TYPE: Record<FeatureSpec['type'], readonly string[]> = {
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'is_null', 'not_null'],
  integer: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'is_null', 'not_null'],
  string: ['eq', 'ne', 'in', 'not_in', 'is_null', 'not_null'],
  boolean: ['eq', 'ne', 'is_null', 'not_null'],
  date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'within_last_days', 'is_null', 'not_null'],
  string_list: ['contains', 'contains_any', 'contains_all', 'is_null', 'not_null'],
};

function checkCondition(condition: Condition, path: Path, ctx: Ctx): void {
  if ('all' in condition) return condition.all.forEach((c, i) => checkCondition(c, [...path, 'all', i], ctx));
  if ('any' in condition) return condition.any.forEach((c, i) => checkCondition(c, [...path, 'any', i], ctx));
  if ('not' in condition) return checkCondition(condition.not, [...path, 'not'], ctx);

  if (!isFeatureName(condition.feature)) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'feature'],
      message: `unknown feature "${condition.feature}"; see the feature catalogue in the README`,
    });
    return;
  }
  const spec: FeatureSpec = FEATURES[condition.feature];
  if (!OPS_BY_TYPE[spec.type].includes(condition.op)) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'op'],
      message: `operator "${condition.op}" does not apply to ${spec.type} feature "${condition.feature}" (use one of ${OPS_BY_TYPE[spec.type].join(', ')})`,
    });
    return;
  }
  const check = (value: unknown, at: Path) => checkValue(spec, condition.feature, value, at, ctx);
  switch (condition.op) {
    case 'in':
    case 'not_in':
    case 'contains_any':
    case 'contains_all':
      condition.values.forEach((v, i) => check(v, [...path, 'values', i]));
      break;
    case 'between':
      check(condition.min, [...path, 'min']);
      check(condition.max, [...path, 'max']);
      if (typeof condition.min === typeof condition.max && condition.min > condition.max) {
        ctx.addIssue({ code: 'custom', path: [...path, 'max'], message: 'max is below min' });
      }
      break;
    case 'within_last_days':
    case 'is_null':
    case 'not_null':
      break;
    default:
      check(condition.value, [...path, 'value']);
  }
}

function checkValue(spec: FeatureSpec, feature: string, value: unknown, path: Path, ctx: Ctx): void {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', path, message });
  switch (spec.type) {
    case 'number':
      if (typeof value !== 'number') fail(`"${feature}" is a number; got ${JSON.stringify(value)}`);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(`"${feature}" is a whole number; got ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`"${feature}" is true or false; got ${JSON.stringify(value)}`);
      return;
    case 'date':
      // A calendar date: Date.parse also takes 2023-02-30, which the SQL literal would then refuse mid-run.
      if (typeof value !== 'string' || !isValidIsoDate(value)) {
        fail(`"${feature}" is a date written YYYY-MM-DD; got ${JSON.stringify(value)}`);
      }
      return;
    case 'string':
    case 'string_list':
      if (typeof value !== 'string') {
        fail(`"${feature}" takes text values; got ${JSON.stringify(value)}`);
      } else if (value.includes('\u0000')) {
        // No SQL string literal can hold a NUL byte (sql/literals.ts refuses it): refuse it here, with its path.
        fail(`"${feature}" values cannot contain a NUL character`);
      } else if (spec.values && !spec.values.includes(value)) {
        fail(`"${value}" is not a value of "${feature}" (one of ${spec.values.join(', ')})`);
      }
  }
}

/** Parses a config document; `source` names the file in errors. */
export function parseSegmentsConfig(document: unknown, source = 'segments config'): SegmentsConfig {
  const result = SegmentsConfig.safeParse(document);
  if (result.success) return result.data;
  const issues = readableIssues(result.error);
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  throw new ConfigError(`${source} is invalid:\n${lines}`, issues, { source });
}

export function parseSegmentsConfigText(text: string, source: string): SegmentsConfig {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const where = lineAndColumn(text, message);
    throw new ConfigError(`${source}${where ? `:${where.line}:${where.column}` : ''} is not valid JSON: ${message}`, [{ path: '(root)', message: 'invalid JSON' }], { source, ...where });
  }
  return parseSegmentsConfig(document, source);
}

/** Where V8's "… at position N" points, as an editor shows it (1-based); undefined when the message names none. */
function lineAndColumn(text: string, message: string): { line: number; column: number } | undefined {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return undefined;
  const before = text.slice(0, Number(position)).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** A stable hash of the effective (defaults applied) config, recorded in every output's provenance. */
export function configHash(config: SegmentsConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && k !== '$schema')
      .sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
