import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/engines/duckdb.ts';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

/** A DuckDB engine over an empty lake: for running shared SQL expressions with the compat layer loaded. */
export async function scratchEngine(): Promise<DuckDbQueryEngine> {
  return DuckDbQueryEngine.open({ lakeDir: await tempDir('empty-lake'), threads: 2 });
}
