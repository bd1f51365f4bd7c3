import * as z from 'zod';
import { TABLE_NAMES, type TableName } from './lake.ts';
import { LAKE_FORMATS } from '../engines/athena-lake.ts';

/**
 * What the refresh Lambda is told: its environment (set by the CDK stack from these names, so the two cannot
 * drift) and its event (sent by EventBridge Scheduler, or by an operator invoking it by hand).
 */
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
/** '' or a prefix ending in '/', never starting with one. */
const keyPrefix = z
  .string()
  .default('')
  .refine((p) => p === '' || (p.endsWith('/') && !p.startsWith('/')), "empty, or ending in '/' and not starting with '/'");
const glueName = z.string().regex(/^[a-z_][a-z0-9_]{0,254}$/, 'lower-case letters, digits and _');

export const LakeFormatsSetting = z
  .string()
  .transform((text, ctx) => {
    // "orders=parquet,customers=csv,events=parquet": one env var instead of three, in the order of TABLE_NAMES.
    const formats: Record<string, string> = {};
    for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [table, format] = part.split('=').map((s) => s.trim());
      if (!table || !format) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not table=format` });
        return z.NEVER;
      }
      formats[table] = format;
    }
    return formats;
  })
  .pipe(z.object(Object.fromEntries(TABLE_NAMES.map((t) => [t, z.enum(LAKE_FORMATS)])) as Record<(typeof TABLE_NAMES)[number], z.ZodEnum<{ [K in (typeof LAKE_FORMATS)[number]]: K }>>));

/**
 * "orders,events": the tables whose Glue table has the dt partition, as the stack declared them
 * (lakePartitionedTables); '' for none. The engine trusts this over the key layout, since only the catalogue knows
 * whether a dt filter is valid and which files the table reads.
 */
export const LakePartitionedTablesSetting = z.string().transform((text, ctx): TableName[] => {
  const names = text.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(TABLE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `unknown table ${unknown.map((n) => `'${n}'`).join(', ')} (tables: ${TABLE_NAMES.join(', ')})` });
    return z.NEVER;
  }
  // A repeated name still means one set of tables (the stack's context reader treats it the same way), so it is
  // folded rather than refused; TABLE_NAMES order keeps the parsed value independent of how it was written.
  return TABLE_NAMES.filter((table) => names.includes(table));
});

export const RefreshEnvironment = z.object({
  LAKE_BUCKET: bucketName,
  LAKE_PREFIX: keyPrefix,
  LAKE_FORMATS: LakeFormatsSetting,
  /** Required, like LAKE_FORMATS: a missing value would silently turn every run into an unpruned full refresh. */
  LAKE_PARTITIONED_TABLES: LakePartitionedTablesSetting,
  RESULTS_BUCKET: bucketName,
  RESULTS_PREFIX: keyPrefix,
  /** Run-scoped CTAS tables live here (in the results bucket) and expire by lifecycle rule. */
  WORK_PREFIX: keyPrefix.refine((p) => p !== '', 'must not be empty'),
  ATHENA_WORKGROUP: z.string().min(1).max(128),
  GLUE_DATABASE: glueName,
  CONFIG_BUCKET: bucketName.optional(),
  CONFIG_KEY: z.string().min(1).optional(),
  /** IANA zone of the schedule: the as-of date is the day before the scheduled time, in this zone. */
  SCHEDULE_TIME_ZONE: z.string().default('UTC'),
  MAX_CONCURRENT_QUERIES: z.coerce.number().int().min(1).max(20).default(4),
  /** Left for the run to wrap up (stop queries, write the failure marker) before Lambda's hard timeout. */
  DEADLINE_MARGIN_SECONDS: z.coerce.number().int().min(5).max(300).default(30),
}).refine((env) => (env.CONFIG_BUCKET === undefined) === (env.CONFIG_KEY === undefined), {
  message: 'CONFIG_BUCKET and CONFIG_KEY go together (neither: the built-in default config)',
  path: ['CONFIG_KEY'],
});
export type RefreshEnvironment = z.infer<typeof RefreshEnvironment>;
export type RefreshEnvironmentName = keyof z.input<typeof RefreshEnvironment>;

export const RefreshEvent = z
  .object({
    /** Filled in by EventBridge Scheduler from <aws.scheduler.scheduled-time>; identifies the nightly firing. */
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
    /** An operator may pin the as-of date (a backfill); otherwise it follows from the scheduled or current time. */
    asOf: z.iso.date().optional(),
    /** Resume a specific run (after a failure was fixed); its journal of started queries is reused. */
    runId: z.string().regex(/^[0-9A-Za-z_-]{1,100}$/).optional(),
    /** Recompute the feature state from every partition instead of updating the previous run's (see README). */
    full: z.boolean().optional(),
  })
  .loose();
export type RefreshEvent = z.infer<typeof RefreshEvent>;
