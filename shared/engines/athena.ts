import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
  type ResultSet,
} from '@aws-sdk/client-athena';
import { TABLE_NAMES, TABLES, type TableName } from '../contracts/lake.ts';
import { AthenaQueryError, ConfigError, InputError, QueryDeadlineError, QueryFailedError, SegmentsError } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { BUILT_RELATIONS, type BuiltRelation, type RelationName, type Relations } from '../sql/relations.ts';
import type { ObjectStore } from '../stores/object-store.ts';
import { FORMAT_SUFFIX, athenaEmptyRelationSql, athenaRawRelationSql, quoteIdentifier, type LakeFormat } from './athena-lake.ts';
import { parseResultPages, resultsHaveHeader } from './athena-results.ts';
import { Semaphore, jitteredDelay, withRetries, type Backoff, type RetryPolicy } from './athena-retry.ts';
import {
  checkS3Prefix,
  clientRequestToken,
  ctasStatement,
  dropTableStatement,
  emptyPreviousSegmentsSql,
  journalKey,
  previousSegmentsRelationSql,
  qualifiedName,
  runTableName,
  unloadStatement,
} from './athena-statements.ts';
import type { InputTable, MalformedLines, PreviousRun, QueryEngine, QueryStats, Row, UnloadTarget } from './query-engine.ts';
import { OUTPUT_TABLES, RUN_PARTITION_KEY, outputTableFolder } from '../contracts/output-tables.ts';
import type { QueryJournal } from './query-journal.ts';
import { stateFolder, stateTableName } from '../contracts/state.ts';
import { STATE_COLUMNS, previousStateRelation, type StateGrain } from '../sql/state.ts';
import { sqlString } from '../sql/literals.ts';
import { inWindow, partitionDay, type PartitionWindow } from './partitions.ts';

export { ctasStatement, dropTableStatement, unloadStatement, clientRequestToken, journalKey, qualifiedName, runTableName } from './athena-statements.ts';

export interface AthenaLakeOptions {
  /** The lake's store (S3, rooted at the lake root): one `<table>/` prefix per input table. */
  readonly store: ObjectStore;
  /** s3://bucket/prefix/ of the lake root; stripped from "$path" so source_file reads `orders/…` as locally. */
  readonly root: string;
  /** Each input table's format, as its Glue table declares it. */
  readonly formats: Readonly<Record<TableName, LakeFormat>>;
  /** Glue table name per input table, when it differs from the table's own name. */
  readonly glueTables?: Readonly<Partial<Record<TableName, string>>>;
  /**
   * The tables whose Glue table has the dt partition (the stack's lakePartitionedTables). Only these get a dt
   * filter, and only their files may be pruned by a partition window.
   */
  readonly partitioned: readonly TableName[];
}

export interface AthenaEngineOptions {
  readonly client: AthenaClient;
  readonly workGroup: string;
  /** The Glue database of the lake tables, where this run's tables are created too. */
  readonly database: string;
  readonly runId: string;
  readonly lake: AthenaLakeOptions;
  /** Where this run's CTAS tables live; `scratch.location(key)` gives s3:// URLs. */
  readonly scratch: ObjectStore;
  /** Makes a retried invocation of the same run resume instead of re-running its queries. */
  readonly journal?: QueryJournal;
  /**
   * The Glue output table of customer_segments in `database` (default OUTPUT_TABLES.customer_segments.name), which
   * the previous run's segments are read from.
   */
  readonly resultsTable?: string;
  /** Epoch ms after which no query is started and a running one is stopped (the Lambda's end, minus a margin). */
  readonly deadlineAt?: number;
  /** Queries in flight at once (default 4): the account's concurrent-query quota is shared with other jobs. */
  readonly maxConcurrentQueries?: number;
  /** Queries started per statement when Athena reports its failure as transient (default 3). */
  readonly maxQueryAttempts?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly log?: Logger;
  /** GetQueryExecution polling: waits grow from initialMs by factor up to maxMs, with full jitter. */
  readonly poll?: Partial<Backoff>;
  /** Retries of throttled or transiently failing API calls. */
  readonly apiRetry?: Partial<RetryPolicy>;
}

export const DEFAULT_POLL: Backoff = { initialMs: 250, maxMs: 5_000, factor: 2 };
export const DEFAULT_API_RETRY: RetryPolicy = { attempts: 6, initialMs: 500, maxMs: 10_000, factor: 2 };
const DEFAULT_MAX_CONCURRENT_QUERIES = 4;
const DEFAULT_MAX_QUERY_ATTEMPTS = 3;
/** GetQueryResults returns at most 1000 rows per page. */
const PAGE_SIZE = 1000;
/**
 * A query Athena says was submitted this long before the statement began is not ours: its token was used by an
 * earlier invocation of the run (see #statement). The margin covers clock skew between Lambda and Athena.
 */
const SUBMISSION_SKEW_MS = 2_000;
/** Starts that returned an earlier invocation's query, tolerated per statement before giving up. */
const MAX_STALE_STARTS = 5;

const EXPECTED_FILES: Readonly<Record<LakeFormat, string>> = {
  csv: '.csv or .csv.gz files',
  jsonl: '.jsonl, .ndjson or .json files (optionally .gz)',
  parquet: '.parquet files',
};

interface StatementHooks {
  /** Runs before each query the statement starts — not when it resumes a journaled one. */
  readonly beforeStart?: (attempt: number) => Promise<void>;
  /** Runs after each query of the statement that ended FAILED or CANCELLED, journaled ones included. */
  readonly afterFailure?: () => Promise<void>;
  /** Housekeeping (DROP TABLE IF EXISTS) is idempotent and cheap: re-running it beats resuming it. */
  readonly journal?: boolean;
  /** The first attempt number (a DROP uses its CTAS's attempt, so a new CTAS attempt drops for real). */
  readonly attempt?: number;
}

interface Finished {
  readonly queryId: string;
  readonly execution: QueryExecution;
  readonly resumed: boolean;
}

type Outcome =
  | { readonly kind: 'succeeded' | 'failed'; readonly queryId: string; readonly execution: QueryExecution }
  | { readonly kind: 'stale'; readonly queryId: string };

/**
 * The query engine on Amazon Athena. Built relations are run-scoped CTAS tables in the Glue database (Parquet under
 * the run's scratch prefix), raw relations read the lake's Glue tables, and large results leave by UNLOAD straight
 * to S3. Every statement is journaled and idempotent, so a retried Lambda resumes a run rather than repeating it.
 */
export class AthenaQueryEngine implements QueryEngine {
  readonly name = 'athena' as const;
  readonly #options: AthenaEngineOptions;
  readonly #relations: Record<RelationName, string>;
  readonly #stats: QueryStats[] = [];
  /** Tables this engine materialized (or resumed), for dispose(). */
  readonly #created = new Set<BuiltRelation>();
  /** Every query id this engine started or adopted: a start that returns one of them again is not a new query. */
  readonly #seen = new Set<string>();
  readonly #slots: Semaphore;
  readonly #poll: Backoff;
  readonly #apiRetry: RetryPolicy;
  readonly #maxAttempts: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #lakeRoot: string;
  #closed = false;

  constructor(options: AthenaEngineOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#log = (options.log ?? silentLogger).child({ engine: 'athena' });
    this.#poll = { ...DEFAULT_POLL, ...options.poll };
    this.#apiRetry = { ...DEFAULT_API_RETRY, ...options.apiRetry };
    this.#maxAttempts = Math.max(1, Math.trunc(options.maxQueryAttempts ?? DEFAULT_MAX_QUERY_ATTEMPTS));
    this.#slots = new Semaphore(Math.max(1, Math.trunc(options.maxConcurrentQueries ?? DEFAULT_MAX_CONCURRENT_QUERIES)));
    if (options.workGroup.trim() === '') throw new ConfigError('the Athena workgroup is empty', [{ path: 'workGroup', message: 'required' }]);
    try {
      quoteIdentifier(options.database);
      dropTableStatement(options.database, runTableName(options.runId, 'probe'));
    } catch (error) {
      throw new ConfigError(`Athena database "${options.database}" / run id "${options.runId}": ${(error as Error).message}`, [
        { path: 'database', message: 'lower-case letters, digits and _, starting with a letter' },
      ]);
    }
    this.#lakeRoot = options.lake.root.endsWith('/') ? options.lake.root : `${options.lake.root}/`;
    try {
      checkS3Prefix(this.#lakeRoot, 'the lake root');
    } catch (error) {
      throw new ConfigError((error as Error).message, [{ path: 'lake.root', message: 's3://bucket/prefix/' }]);
    }
    for (const table of TABLE_NAMES) {
      const format = options.lake.formats[table];
      if (!(format in FORMAT_SUFFIX)) {
        throw new ConfigError(`the ${table} table has no Athena format (csv, jsonl or parquet)`, [{ path: `lake.formats.${table}`, message: 'csv | jsonl | parquet' }]);
      }
    }
    // Until prepareInputs() has looked, raw relations read the declared Glue tables.
    const relations: Partial<Record<RelationName, string>> = {};
    for (const table of TABLE_NAMES) relations[`raw_${table}`] = this.#rawRelation(table);
    relations.previous_segments = emptyPreviousSegmentsSql();
    for (const name of BUILT_RELATIONS) relations[name] = qualifiedName(options.database, runTableName(options.runId, name));
    this.#relations = relations as Record<RelationName, string>;
  }

  /**
   * The current map. prepareInputs() updates it in place (an absent optional table becomes an empty relation), so
   * a caller holding the object sees the change too.
   */
  get relations(): Relations {
    return this.#relations;
  }

  get stats(): readonly QueryStats[] {
    return this.#stats;
  }

  async prepareInputs(window?: PartitionWindow): Promise<Record<TableName, InputTable>> {
    this.#checkOpen('read inputs');
    const result = {} as Record<TableName, InputTable>;
    for (const table of TABLE_NAMES) result[table] = await this.#prepareTable(table, window);
    return result;
  }

  async #prepareTable(table: TableName, window: PartitionWindow | undefined): Promise<InputTable> {
    const format = this.#options.lake.formats[table];
    const listed = await this.#options.lake.store.list(`${table}/`);
    // As Athena itself does: hidden and '_'-prefixed paths (markers, metadata) and folder markers are not data.
    const all = listed.filter((o) => o.bytes > 0 && !o.key.split('/').some((part) => part.startsWith('.') || part.startsWith('_')));
    // The catalogue decides, not the key layout: a dt filter on a Glue table without the dt partition fails the
    // query, and partition projection never reads a partitioned table's files outside dt= folders. So a declared
    // table is pruned on dt (before Athena lists or reads anything), and an undeclared one is read whole.
    const partitioned = this.#options.lake.partitioned.includes(table);
    const outside = partitioned ? all.find((o) => partitionDay(o.key) === null) : undefined;
    if (outside) {
      throw new InputError(
        `${outside.key}: the ${table} table is declared partitioned by day on Athena (lakePartitionedTables), so its Glue table reads only ${table}/dt=YYYY-MM-DD/ folders and would silently skip this file; move it into a dt= folder, or remove ${table} from lakePartitionedTables and redeploy`,
        { table, file: outside.key },
      );
    }
    const files = partitioned ? all.filter((o) => inWindow(o.key, window)) : all;
    const prunedFiles = all.length - files.length;
    const stray = files.find((f) => !FORMAT_SUFFIX[format].test(f.key));
    if (stray) {
      // A Glue table has one SerDe: a file of another format under its prefix would be read as garbage rows.
      throw new InputError(
        `${stray.key}: the ${table} table is declared as ${format} on Athena, so ${table}/ may only hold ${EXPECTED_FILES[format]}; convert or move this file`,
        { table, file: stray.key, format },
      );
    }
    if (files.length === 0 && all.length > 0) {
      // Every partition pruned: no new day yet, which reads as an empty (present) table.
      this.#relations[`raw_${table}`] = athenaEmptyRelationSql(table);
      return { table, present: true, files: 0, bytes: 0, formats: [format], partitioned, prunedFiles };
    }
    if (files.length === 0) {
      if (TABLES[table].required) {
        throw new InputError(`the lake ${this.#lakeRoot} has no ${table}/ data: the ${table} table is required (${EXPECTED_FILES[format]} under ${table}/)`, {
          table,
          lake: this.#lakeRoot,
        });
      }
      this.#relations[`raw_${table}`] = athenaEmptyRelationSql(table);
      return { table, present: false, files: 0, bytes: 0, formats: [], partitioned, prunedFiles };
    }
    this.#relations[`raw_${table}`] = this.#rawRelation(table, partitioned ? window : undefined);
    return { table, present: true, files: files.length, bytes: files.reduce((sum, f) => sum + f.bytes, 0), formats: [format], partitioned, prunedFiles };
  }

  #rawRelation(table: TableName, window?: PartitionWindow): string {
    return athenaRawRelationSql(
      table,
      {
        database: this.#options.database,
        glueTable: this.#options.lake.glueTables?.[table] ?? table,
        format: this.#options.lake.formats[table],
        lakeRoot: this.#lakeRoot,
      },
      window,
    );
  }

  /**
   * Always none on Athena: its SerDes do not report lines they cannot parse. The JSON SerDe is declared with
   * ignore.malformed.json, so such a line becomes an all-NULL row, which the staging contract quarantines as
   * missing_customer_id; a CSV line with too few fields gets NULLs in the missing columns and is judged the same way.
   */
  async malformedLines(_table: TableName): Promise<MalformedLines> {
    return { count: 0, examples: [] };
  }

  /**
   * No query: the previous run's rows stay in S3 and `previous_segments` becomes a subquery over the Glue output
   * table, filtered on the run partition. Its files are listed first, so a previous run without them (or none at
   * all) gives an empty relation instead of a statement failing on a missing partition.
   */
  async attachPreviousRun(previous: PreviousRun | null): Promise<boolean> {
    this.#checkOpen('attach previous run');
    const parts = previous ? await previous.store.list(`${previous.prefix}${outputTableFolder(OUTPUT_TABLES.customer_segments)}`) : [];
    if (!previous || parts.length === 0) {
      this.#relations.previous_segments = emptyPreviousSegmentsSql();
      return false;
    }
    this.#relations.previous_segments = previousSegmentsRelationSql(
      this.#options.database,
      this.#options.resultsTable ?? OUTPUT_TABLES.customer_segments.name,
      RUN_PARTITION_KEY,
      previous.runId,
    );
    return true;
  }

  /** Like attachPreviousRun: no query, each `previous_state_<grain>` reads its Glue table on the previous run's partition. */
  async attachPreviousState(previous: PreviousRun, grains: readonly StateGrain[]): Promise<boolean> {
    this.#checkOpen('attach previous state');
    for (const grain of grains) {
      if ((await previous.store.list(`${previous.prefix}${stateFolder(grain)}`)).length === 0) return false;
    }
    for (const grain of grains) {
      const table = qualifiedName(this.#options.database, stateTableName(grain));
      this.#relations[previousStateRelation(grain)] =
        `(SELECT ${STATE_COLUMNS[grain].map((c) => c.name).join(', ')} FROM ${table} WHERE ${quoteIdentifier(RUN_PARTITION_KEY)} = ${sqlString(previous.runId)})`;
    }
    return true;
  }

  async query(step: string, sql: string): Promise<Row[]> {
    this.#checkOpen(step);
    const { queryId, execution } = await this.#statement(step, sql);
    const pages = await this.#resultPages(step, queryId);
    return parseResultPages(pages, { header: resultsHaveHeader(execution), step, queryId });
  }

  async materialize(step: string, name: BuiltRelation, sql: string): Promise<void> {
    this.#checkOpen(step);
    const table = runTableName(this.#options.runId, name);
    const prefix = `${name}/`;
    const statement = ctasStatement(this.#relations[name], this.#options.scratch.location(prefix), sql);
    this.#created.add(name);
    await this.#statement(step, statement, {
      // A CTAS fails on an existing table or a non-empty location; a failed one leaves files behind.
      beforeStart: async (attempt) => {
        await this.#statement(step, dropTableStatement(this.#options.database, table), { journal: false, attempt });
        await this.#clearPrefix(this.#options.scratch, prefix);
      },
    });
  }

  /**
   * UNLOAD to the target prefix, which must be empty (Athena refuses to write where files exist). A failed UNLOAD
   * can leave part files; they are deleted, so the prefix is empty again for the retry. UNLOAD also writes at most
   * 100 partitions: ours are unpartitioned (unloadStatement has no partitioned_by).
   */
  async unload(step: string, sql: string, target: UnloadTarget): Promise<void> {
    this.#checkOpen(step);
    if (!target.prefix.endsWith('/')) {
      throw new QueryFailedError(`unload target prefix "${target.prefix}" must end in '/'`, { step, prefix: target.prefix });
    }
    const statement = unloadStatement(sql, target.store.location(target.prefix));
    await this.#statement(step, statement, {
      beforeStart: async () => {
        const existing = await target.store.list(target.prefix);
        if (existing.length > 0) {
          throw new QueryFailedError(
            `unload target ${target.store.description}/${target.prefix} is not empty (${existing.length} objects, e.g. ${existing[0]?.key}); UNLOAD writes only to an empty prefix`,
            { step, prefix: target.prefix, objects: existing.length },
          );
        }
      },
      afterFailure: () => this.#clearPrefix(target.store, target.prefix),
    });
  }

  /**
   * Removes this run's tables and their files: call it once the run is published. Not part of close(), so a failed
   * run keeps its finished tables and a retry can resume from them.
   */
  async dispose(): Promise<void> {
    const names = [...this.#created];
    const results = await Promise.allSettled(
      names.map(async (name) => {
        await this.#statement(`dispose ${name}`, dropTableStatement(this.#options.database, runTableName(this.#options.runId, name)), { journal: false });
        await this.#clearPrefix(this.#options.scratch, `${name}/`);
        this.#created.delete(name);
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: names[i], error: r.reason as unknown }] : []));
    if (failed.length > 0) {
      throw new QueryFailedError(
        `could not remove ${failed.length} run table(s): ${failed.map((f) => `${f.name} (${(f.error as Error).message})`).join('; ')}`,
        { step: 'dispose', tables: failed.map((f) => f.name) },
        { cause: failed[0]?.error },
      );
    }
  }

  /**
   * Releases nothing on AWS: a failed run's tables and journal stay, so the run can be resumed. Only the port's
   * statements are refused afterwards; dispose() still works.
   */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(step: string): void {
    if (this.#closed) throw new QueryFailedError('the Athena engine is closed', { step });
  }

  /**
   * Runs one statement to success, resuming it from the journal when an earlier invocation of the run started it.
   *
   * Tokens are deterministic per (run, step, SQL, attempt) so that a start retried after a lost response returns the
   * query it already started. The flip side: an earlier invocation's query comes back for the same token. That
   * query's output may just have been cleared by beforeStart, so it is never adopted by accident: a start returning
   * a query already seen here, or one submitted before this statement began, moves on to the next attempt number.
   */
  async #statement(step: string, sql: string, hooks: StatementHooks = {}): Promise<Finished> {
    const began = this.#now();
    const key = journalKey(step, sql);
    const journaled = hooks.journal === false ? undefined : await this.#options.journal?.lookup(key);
    let attempt = hooks.attempt ?? 1;
    let failures = 0;

    if (journaled !== undefined) {
      const execution = await this.#describeJournaled(step, journaled);
      const state = execution?.Status?.State;
      if (execution && state === 'SUCCEEDED') {
        this.#log.log('info', 'statement resumed from the journal', { step, query_id: journaled, state });
        return this.#finished(step, journaled, execution, began, true);
      }
      if (execution) this.#seen.add(journaled);
      if (state === 'QUEUED' || state === 'RUNNING') {
        this.#log.log('info', 'waiting for a journaled query', { step, query_id: journaled, state });
        const outcome = await this.#slots.run(() => this.#pollUntilDone(step, journaled));
        if (outcome.kind === 'succeeded') return this.#finished(step, journaled, outcome.execution, began, true);
        if (outcome.kind === 'failed') {
          failures++;
          await this.#afterFailure(step, hooks);
          const error = this.#queryError(step, journaled, outcome.execution, failures);
          if (!error.retryable || error.state !== 'FAILED' || failures >= this.#maxAttempts) throw error;
        }
        attempt++;
      } else if (state === 'FAILED' || state === 'CANCELLED') {
        // Failed in an earlier invocation: whatever the reason, this one tries again, after removing its leftovers.
        await this.#afterFailure(step, hooks);
        attempt++;
      }
    }

    for (let staleStarts = 0; ; ) {
      this.#checkDeadline(step);
      await hooks.beforeStart?.(attempt);
      const attemptBegan = this.#now();
      const outcome = await this.#slots.run(async (): Promise<Outcome> => {
        // Waiting for a slot may have taken us past the deadline.
        this.#checkDeadline(step);
        const queryId = await this.#start(step, sql, attempt);
        if (this.#seen.has(queryId)) return { kind: 'stale', queryId };
        this.#seen.add(queryId);
        if (hooks.journal !== false) await this.#record(step, key, queryId);
        return this.#pollUntilDone(step, queryId, began);
      });
      if (outcome.kind === 'succeeded') return this.#finished(step, outcome.queryId, outcome.execution, attemptBegan, false);
      if (outcome.kind === 'stale') {
        this.#log.log('warn', "start returned an earlier invocation's query; starting the next attempt", { step, query_id: outcome.queryId, attempt });
        if (++staleStarts > MAX_STALE_STARTS) {
          throw new QueryFailedError(`step "${step}": ${staleStarts} starts in a row returned earlier queries`, { step, queryId: outcome.queryId, attempt });
        }
        attempt++;
        continue;
      }
      failures++;
      await this.#afterFailure(step, hooks);
      const error = this.#queryError(step, outcome.queryId, outcome.execution, failures);
      if (error.retryable && error.state === 'FAILED' && failures < this.#maxAttempts) {
        this.#log.log('warn', 'transient query failure; starting it again', { step, query_id: outcome.queryId, attempt, reason: error.reason });
        attempt++;
        continue;
      }
      throw error;
    }
  }

  async #start(step: string, sql: string, attempt: number): Promise<string> {
    const output = await this.#api(step, 'StartQueryExecution', undefined, () =>
      this.#options.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          // Depends on the attempt, not on the call: a throttled call retried below carries the same token.
          ClientRequestToken: clientRequestToken(this.#options.runId, step, sql, attempt),
          QueryExecutionContext: { Database: this.#options.database, Catalog: 'AwsDataCatalog' },
          // No ResultConfiguration: the workgroup enforces its own output location and encryption.
          WorkGroup: this.#options.workGroup,
        }),
      ),
    );
    if (!output.QueryExecutionId) throw new QueryFailedError(`step "${step}": Athena returned no query id`, { step });
    this.#log.log('debug', 'query started', { step, query_id: output.QueryExecutionId, attempt });
    return output.QueryExecutionId;
  }

  /** Recording is what makes resume possible, but a journal outage must not fail (or orphan) a running query. */
  async #record(step: string, key: string, queryId: string): Promise<void> {
    try {
      await this.#options.journal?.record(key, queryId);
    } catch (error) {
      this.#log.log('warn', 'could not journal a query; a retry of the run would start it again', { step, query_id: queryId, error: (error as Error).message });
    }
  }

  /** Polls until the query ends; past the deadline it stops the query. `startedAfter` marks a query we just started. */
  async #pollUntilDone(step: string, queryId: string, startedAfter?: number): Promise<Outcome> {
    for (let n = 0; ; n++) {
      const remaining = this.#remainingMs();
      if (remaining <= 0) {
        await this.#stop(step, queryId);
        throw this.#deadlineError(step, queryId, true);
      }
      await this.#sleep(Math.min(jitteredDelay(n, this.#poll, this.#random), remaining));
      const execution = await this.#describe(step, queryId).catch(async (error: unknown) => {
        // Throttled polls ran out the clock: the query must not outlive the invocation either.
        if (error instanceof QueryDeadlineError) {
          await this.#stop(step, queryId);
          throw this.#deadlineError(step, queryId, true);
        }
        throw error;
      });
      const state = execution.Status?.State;
      if (n === 0 && startedAfter !== undefined) {
        const submitted = execution.Status?.SubmissionDateTime;
        if (submitted instanceof Date && submitted.getTime() < startedAfter - SUBMISSION_SKEW_MS) {
          // An earlier invocation's query; if it still runs it may write where this attempt is about to.
          if (state === 'QUEUED' || state === 'RUNNING') await this.#stop(step, queryId);
          return { kind: 'stale', queryId };
        }
      }
      if (state === 'SUCCEEDED') return { kind: 'succeeded', queryId, execution };
      if (state === 'FAILED' || state === 'CANCELLED') return { kind: 'failed', queryId, execution };
      // QUEUED, RUNNING (or no state yet): wait.
    }
  }

  async #describe(step: string, queryId: string): Promise<QueryExecution> {
    const output = await this.#api(step, 'GetQueryExecution', queryId, () =>
      this.#options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId })),
    );
    if (!output.QueryExecution) throw new QueryFailedError(`step "${step}": Athena returned no execution for query ${queryId}`, { step, queryId });
    return output.QueryExecution;
  }

  /** A journaled id Athena no longer knows (query history is kept 45 days) is as good as none. */
  async #describeJournaled(step: string, queryId: string): Promise<QueryExecution | undefined> {
    try {
      return await this.#describe(step, queryId);
    } catch (error) {
      if (error instanceof QueryFailedError && (error.cause as { name?: unknown } | undefined)?.name === 'InvalidRequestException') {
        this.#log.log('warn', 'journaled query unknown to Athena; starting it anew', { step, query_id: queryId });
        return undefined;
      }
      throw error;
    }
  }

  /** Best effort: the deadline error that follows matters more than a failed stop. */
  async #stop(step: string, queryId: string): Promise<void> {
    try {
      await this.#api(step, 'StopQueryExecution', queryId, () => this.#options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId })), {
        ignoreDeadline: true,
      });
      this.#log.log('warn', 'query stopped', { step, query_id: queryId });
    } catch (error) {
      this.#log.log('error', 'could not stop a query', { step, query_id: queryId, error: (error as Error).message });
    }
  }

  async #resultPages(step: string, queryId: string): Promise<ResultSet[]> {
    const pages: ResultSet[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.#api(step, 'GetQueryResults', queryId, () =>
        this.#options.client.send(new GetQueryResultsCommand({ QueryExecutionId: queryId, MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) })),
      );
      pages.push(output.ResultSet ?? {});
      nextToken = output.NextToken;
    } while (nextToken);
    return pages;
  }

  /** One API call with retries of throttling and transient faults; any other error fails at once, typed. */
  async #api<T>(step: string, operation: string, queryId: string | undefined, call: () => Promise<T>, options: { ignoreDeadline?: boolean } = {}): Promise<T> {
    try {
      return await withRetries(call, {
        policy: this.#apiRetry,
        sleep: this.#sleep,
        random: this.#random,
        beforeRetry: ({ error, attempt, delayMs }) => {
          if (!options.ignoreDeadline && this.#remainingMs() <= delayMs) throw this.#deadlineError(step, queryId, false);
          this.#log.log('warn', 'Athena API call throttled; retrying', { step, operation, attempt, delay_ms: delayMs, error: (error as Error).name });
        },
      });
    } catch (error) {
      if (error instanceof SegmentsError) throw error;
      const name = (error as Error).name ?? 'Error';
      throw new QueryFailedError(
        `Athena ${operation} failed in step "${step}": ${name}: ${(error as Error).message}`,
        { step, operation, error: name, ...(queryId ? { queryId } : {}) },
        { cause: error },
      );
    }
  }

  async #afterFailure(step: string, hooks: StatementHooks): Promise<void> {
    try {
      await hooks.afterFailure?.();
    } catch (error) {
      // The query's own error is the one to report; the next attempt's checks catch any leftovers.
      this.#log.log('error', 'cleanup after a failed query failed', { step, error: (error as Error).message });
    }
  }

  async #clearPrefix(store: ObjectStore, prefix: string): Promise<void> {
    const objects = await store.list(prefix);
    for (const object of objects) await store.delete(object.key);
    if (objects.length > 0) this.#log.log('info', 'removed leftover files', { prefix, objects: objects.length });
  }

  #finished(step: string, queryId: string, execution: QueryExecution, began: number, resumed: boolean): Finished {
    const wallMs = Math.max(0, this.#now() - began);
    const statistics = execution.Statistics;
    this.#stats.push({
      step,
      queryId,
      wallMs,
      engineMs: statistics?.EngineExecutionTimeInMillis ?? wallMs,
      ...(statistics?.DataScannedInBytes !== undefined ? { bytesScanned: statistics.DataScannedInBytes } : {}),
    });
    this.#log.log('debug', 'query finished', { step, query_id: queryId, ms: Math.round(wallMs), bytes_scanned: statistics?.DataScannedInBytes, resumed });
    return { queryId, execution, resumed };
  }

  #queryError(step: string, queryId: string, execution: QueryExecution, attempts: number): AthenaQueryError {
    const status = execution.Status;
    const state = status?.State === 'CANCELLED' ? 'CANCELLED' : 'FAILED';
    const athenaError = status?.AthenaError;
    const reason = status?.StateChangeReason ?? athenaError?.ErrorMessage;
    return new AthenaQueryError(`Athena query ${queryId} ${state} in step "${step}"${reason ? `: ${reason}` : ''}`, {
      step,
      queryId,
      state,
      attempts,
      ...(reason !== undefined ? { reason } : {}),
      ...(athenaError?.ErrorCategory !== undefined ? { errorCategory: athenaError.ErrorCategory } : {}),
      ...(athenaError?.ErrorType !== undefined ? { errorType: athenaError.ErrorType } : {}),
      ...(athenaError?.Retryable !== undefined ? { retryable: athenaError.Retryable } : {}),
      ...(athenaError?.ErrorMessage !== undefined ? { errorMessage: athenaError.ErrorMessage } : {}),
    });
  }

  #remainingMs(): number {
    return this.#options.deadlineAt === undefined ? Number.POSITIVE_INFINITY : this.#options.deadlineAt - this.#now();
  }

  #checkDeadline(step: string): void {
    if (this.#remainingMs() <= 0) throw this.#deadlineError(step, undefined, false);
  }

  #deadlineError(step: string, queryId: string | undefined, stopped: boolean): QueryDeadlineError {
    const deadlineAt = this.#options.deadlineAt ?? 0;
    const what = stopped ? `; query ${queryId} was stopped` : queryId ? ` waiting on query ${queryId}` : '; no query was started';
    return new QueryDeadlineError(
      `the run's deadline (${new Date(deadlineAt).toISOString()}) passed in step "${step}"${what}`,
      { step, deadlineAt, ...(queryId ? { queryId } : {}) },
    );
  }
}
