import { createHash } from 'node:crypto';
import { QueryFailedError } from '../errors.ts';
import { sqlString } from '../sql/literals.ts';
import { quoteIdentifier } from './athena-lake.ts';

/**
 * The statements the Athena adapter wraps around the shared SQL, and the names and tokens it derives. Pure, so
 * another test can parse every statement with a Trino parser.
 */

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The run id as the start of a Glue table name: lower-case [a-z0-9_] only, and starting with a letter, because
 * Athena's DDL (DROP TABLE runs on the Hive parser) cannot quote names with double quotes, and Trino cannot read a
 * bare name that starts with a digit. Run ids start with their as-of date, hence the 'run_' prefix.
 */
export function sanitizeRunId(runId: string): string {
  const base = runId.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (base.length === 0) throw new QueryFailedError('the run id is empty', { runId });
  return /^[a-z]/.test(base) ? base : `run_${base}`;
}

/** Glue table names stay well under Glue's 255 characters so nothing downstream truncates them. */
const MAX_TABLE_NAME = 200;
const BARE_NAME = /^[a-z][a-z0-9_]*$/;

export function runTableName(runId: string, relation: string): string {
  const name = `${sanitizeRunId(runId)}__${relation}`;
  if (name.length > MAX_TABLE_NAME || !BARE_NAME.test(name)) {
    throw new QueryFailedError(`run id ${JSON.stringify(runId)} gives the table name "${name}", which Athena cannot use`, { runId, relation });
  }
  return name;
}

/** `"database"."table"`, as SELECT and CTAS (Trino) read it. */
export function qualifiedName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/** An s3:// URL ending in '/': Athena writes a CTAS table or an UNLOAD as files under such a prefix. */
export function checkS3Prefix(location: string, what: string): string {
  if (!/^s3:\/\/[^/\s]+\/([^\s]*\/)?$/.test(location)) {
    throw new QueryFailedError(`${what} must be an s3:// location ending in '/', got ${JSON.stringify(location)}`, { location });
  }
  return location;
}

export function ctasStatement(relation: string, location: string, sql: string): string {
  checkS3Prefix(location, 'a CTAS external_location');
  return `CREATE TABLE ${relation} WITH (format = 'PARQUET', write_compression = 'ZSTD', external_location = ${sqlString(location)}) AS ${sql}`;
}

/**
 * UNLOAD writes at most 100 partitions per statement; our outputs are unpartitioned, so the builder offers no
 * `partitioned_by` at all and refuses SQL that tries to smuggle one in.
 */
export function unloadStatement(sql: string, location: string): string {
  checkS3Prefix(location, 'an UNLOAD target');
  if (/\bpartitioned_by\b/i.test(sql)) {
    throw new QueryFailedError('UNLOAD output is unpartitioned (Athena writes at most 100 partitions per UNLOAD); remove partitioned_by', {
      location,
    });
  }
  return `UNLOAD (${sql}) TO ${sqlString(location)} WITH (format = 'PARQUET', compression = 'ZSTD')`;
}

/**
 * Names are bare: Athena runs DROP TABLE through its Hive DDL parser, which quotes with backticks (that Trino would
 * reject) and not with double quotes. Bare names parse in both, given they are checked to be plain words.
 */
export function dropTableStatement(database: string, table: string): string {
  for (const name of [database, table]) {
    if (!BARE_NAME.test(name)) throw new QueryFailedError(`"${name}" cannot be used unquoted in Athena DDL`, { name });
  }
  return `DROP TABLE IF EXISTS ${database}.${table}`;
}

/**
 * StartQueryExecution's idempotency token: the same run, step, statement and attempt give the same token, so a
 * start retried after a lost response returns the query already started instead of starting (and paying for) a
 * second one. A new attempt after a failed query gets a new token. 64 hex characters (Athena takes 32–128).
 */
export function clientRequestToken(runId: string, step: string, sql: string, attempt: number): string {
  return sha256(JSON.stringify(['segment-personas', runId, step, sha256(sql), attempt]));
}

/** A statement's key in the query journal: the step and a prefix of its SQL's hash. */
export function journalKey(step: string, sql: string): string {
  return `${step}:${sha256(sql).slice(0, 16)}`;
}

/** The columns of `previous_segments`, the only ones the migration reads. */
const PREVIOUS_COLUMNS = ['customer_id', 'rfm_segment', 'lifecycle_stage'] as const;

/**
 * `previous_segments` on Athena: the published Glue output table (OUTPUT_TABLES.customer_segments) filtered on the
 * previous run's partition, which its injected projection requires anyway.
 */
export function previousSegmentsRelationSql(database: string, table: string, partitionKey: string, runId: string): string {
  return `(SELECT ${PREVIOUS_COLUMNS.join(', ')} FROM ${qualifiedName(database, table)} WHERE ${quoteIdentifier(partitionKey)} = ${sqlString(runId)})`;
}

/** `previous_segments` when there is no previous run: the same columns, no rows. */
export function emptyPreviousSegmentsSql(): string {
  return `(SELECT ${PREVIOUS_COLUMNS.map((c) => `CAST(NULL AS varchar) AS ${c}`).join(', ')} WHERE false)`;
}
