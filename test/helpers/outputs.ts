import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LatestPointer } from '../../shared/contracts/outputs.ts';

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export async function latestRunDir(outDir: string): Promise<string> {
  const latest = await readJson<LatestPointer>(path.join(outDir, 'latest.json'));
  return path.join(outDir, latest.prefix);
}

/** Reads Parquet with a plain DuckDB instance: no project code between the file and the test. */
export async function readParquetRows(glob: string, orderBy = 'customer_id'): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${glob.replaceAll("'", "''")}') ORDER BY ${orderBy}`);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
