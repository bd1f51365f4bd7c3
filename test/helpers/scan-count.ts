import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableName } from '../../shared/contracts/lake.ts';
import type { InputTable, MalformedLines, PreviousRun, QueryEngine, QueryStats, Row, UnloadTarget } from '../../shared/engines/query-engine.ts';
import type { StateGrain } from '../../shared/sql/state.ts';
import type { BuiltRelation, Relations } from '../../shared/sql/relations.ts';

/**
 * Helpers for the scan-count tests: a QueryEngine that records every statement the pipeline sends through the
 * port, counting a relation's references in SQL, and the file-scan operators of a DuckDB plan.
 */

export interface PortStatement {
  readonly kind: 'query' | 'materialize' | 'unload';
  readonly step: string;
  readonly sql: string;
}

/** `materialize stage orders`: how failure messages name a statement. */
export const describeStatement = (s: PortStatement) => `${s.kind} ${s.step}`;

/**
 * Forwards every call to `inner` and records each SQL text given to query, materialize and unload with its step.
 * `inspect` runs before a statement is forwarded (e.g. to EXPLAIN it while the relations it reads are as the
 * statement will see them).
 */
export class RecordingQueryEngine implements QueryEngine {
  readonly statements: PortStatement[] = [];
  inputs?: Record<TableName, InputTable>;

  constructor(
    private readonly inner: QueryEngine,
    private readonly inspect?: (statement: PortStatement) => Promise<void> | void,
  ) {}

  get name(): QueryEngine['name'] {
    return this.inner.name;
  }

  get relations(): Relations {
    return this.inner.relations;
  }

  get stats(): readonly QueryStats[] {
    return this.inner.stats;
  }

  async prepareInputs(...args: Parameters<QueryEngine['prepareInputs']>): Promise<Record<TableName, InputTable>> {
    this.inputs = await this.inner.prepareInputs(...args);
    return this.inputs;
  }

  malformedLines(table: TableName): Promise<MalformedLines> {
    return this.inner.malformedLines(table);
  }

  attachPreviousRun(previous: PreviousRun | null): Promise<boolean> {
    return this.inner.attachPreviousRun(previous);
  }

  attachPreviousState(previous: PreviousRun, grains: readonly StateGrain[]): Promise<boolean> {
    return this.inner.attachPreviousState(previous, grains);
  }

  async query(step: string, sql: string): Promise<Row[]> {
    await this.#record({ kind: 'query', step, sql });
    return this.inner.query(step, sql);
  }

  async materialize(step: string, name: BuiltRelation, sql: string): Promise<void> {
    await this.#record({ kind: 'materialize', step, sql });
    return this.inner.materialize(step, name, sql);
  }

  async unload(step: string, sql: string, target: UnloadTarget): Promise<void> {
    await this.#record({ kind: 'unload', step, sql });
    return this.inner.unload(step, sql, target);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async #record(statement: PortStatement): Promise<void> {
    this.statements.push(statement);
    await this.inspect?.(statement);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * How often `relation` occurs in `sql`: a plain identifier (`raw_orders`) as a whole word, so `stg_orders` or
 * `raw_orders_x` do not count; a relation given as SQL text (Athena's `(SELECT … FROM "db"."orders")`) literally.
 */
export function occurrences(sql: string, relation: string): number {
  const pattern = `${/^\w/.test(relation) ? '\\b' : ''}${escapeRegExp(relation)}${/\w$/.test(relation) ? '\\b' : ''}`;
  return sql.match(new RegExp(pattern, 'g'))?.length ?? 0;
}

/** The statements whose SQL references `relation`, each with its number of references. */
export function readersOf(statements: readonly PortStatement[], relation: string): { statement: PortStatement; references: number }[] {
  return statements
    .map((statement) => ({ statement, references: occurrences(statement.sql, relation) }))
    .filter((r) => r.references > 0);
}

export interface FileScan {
  /** The table function, e.g. READ_PARQUET, READ_CSV, READ_JSON. */
  readonly fn: string;
  readonly projections: readonly string[];
}

interface PlanNode {
  readonly name?: string;
  readonly children?: readonly PlanNode[];
  readonly extra_info?: Record<string, unknown>;
}

/** A file read is a READ_* table function, whether DuckDB prints it as its own operator or as a TABLE_SCAN. */
const FILE_READER = /^READ_(PARQUET|CSV|CSV_AUTO|JSON|JSON_AUTO|NDJSON|JSON_OBJECTS|TEXT|BLOB)$/i;

/** The file-scan operators of a SELECT's plan, from `EXPLAIN (FORMAT json)` on the given connection. */
export async function fileScans(connection: DuckDBConnection, sql: string): Promise<FileScan[]> {
  const reader = await connection.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`);
  const rows = reader.getRowObjectsJson();
  const plans = rows.map((r) => JSON.parse(String(r.explain_value)) as PlanNode | PlanNode[]).flat();
  const scans: FileScan[] = [];
  const walk = (node: PlanNode) => {
    const fn = String(node.extra_info?.Function ?? node.name ?? '');
    if (FILE_READER.test(fn) || FILE_READER.test(node.name ?? '')) {
      const projections = node.extra_info?.Projections;
      scans.push({
        fn: (FILE_READER.test(fn) ? fn : node.name ?? '').toUpperCase(),
        projections: Array.isArray(projections) ? projections.map(String) : typeof projections === 'string' ? [projections] : [],
      });
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (const plan of plans) walk(plan);
  return scans;
}
