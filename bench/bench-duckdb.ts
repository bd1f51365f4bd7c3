/**
 * An in-memory DuckDB in the refresh engine's session settings (duckDbSessionSettings: UTC, thread count, no
 * insertion order, memory limit, offline), so the comparison queries run under the same conditions as the refresh.
 * Opening is kept out of every measured step.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckDbSessionSettings } from '../shared/engines/duckdb.ts';

export interface BenchEngineOptions {
  readonly threads?: number;
  /** DuckDB's buffer limit, e.g. '1400MB' (the refresh's default). */
  readonly memoryLimit?: string;
}

export interface BenchDuckDb {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function openBenchDuckDb(options: BenchEngineOptions): Promise<BenchDuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const statement of duckDbSessionSettings(options)) await connection.run(statement);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
