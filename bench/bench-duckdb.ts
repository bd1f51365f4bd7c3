/**
 * An in-memory DuckDB set up like the refresh's engine (shared/engines/duckdb.ts: UTC, thread count, no insertion
 * order, memory limit, offline), so the comparison queries run under the same conditions as the refresh.
 * Opening is kept out of every measured step.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../shared/sql/literals.ts';

export interface BenchEngineOptions {
  readonly threads?: number;
  /** DuckDB's buffer limit, e.g. '1536MB' (the refresh benchmark's default). */
  readonly memoryLimit?: string;
}

export interface BenchDuckDb {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function openBenchDuckDb(options: BenchEngineOptions): Promise<BenchDuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const settings = [
    "SET TimeZone = 'UTC'",
    `SET threads = ${Math.max(1, Math.trunc(options.threads ?? 2))}`,
    'SET preserve_insertion_order = false',
    'SET autoinstall_known_extensions = false',
    'SET autoload_known_extensions = false',
    ...(options.memoryLimit ? [`SET memory_limit = ${sqlString(options.memoryLimit)}`] : []),
  ];
  for (const statement of settings) await connection.run(statement);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
