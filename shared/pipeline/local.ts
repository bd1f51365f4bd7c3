import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseSegmentsConfigText, type SegmentsConfig } from '../contracts/config.ts';
import { DuckDbQueryEngine } from '../engines/duckdb.ts';
import { ConfigError } from '../errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { defaultSegmentsConfig } from '../segments/default-config.ts';
import { LocalObjectStore } from '../stores/local.ts';
import { utcDate } from '../time.ts';
import { TOOL_VERSION } from '../version.ts';
import { refreshSegments, type RefreshResult, type StageEvent } from './refresh.ts';

export interface LocalRefreshOptions {
  lakeDir: string;
  outDir: string;
  asOf?: string;
  configPath?: string;
  config?: SegmentsConfig;
  clock?: () => Date;
  log?: Logger;
  onStage?: (event: StageEvent) => void;
  threads?: number;
  memoryLimit?: string;
}

export async function loadConfig(configPath: string | undefined): Promise<SegmentsConfig> {
  if (!configPath) return defaultSegmentsConfig();
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${configPath}: ${(error as Error).message}`, [], { file: configPath });
  }
  return parseSegmentsConfigText(text, configPath);
}

/** The embedded composition: DuckDB over a lake folder, results in a local folder. */
export async function refreshLocal(options: LocalRefreshOptions): Promise<RefreshResult> {
  const config = options.config ?? (await loadConfig(options.configPath));
  const clock = options.clock ?? (() => new Date());
  const asOf = options.asOf ?? utcDate(clock());
  const log = options.log ?? silentLogger;
  const engine = await DuckDbQueryEngine.open({
    lakeDir: options.lakeDir,
    threads: options.threads ?? Math.min(os.availableParallelism(), 4),
    memoryLimit: options.memoryLimit ?? '1536MB',
    tempDir: path.join(os.tmpdir(), 'segments-duckdb'),
    log,
  });
  try {
    return await refreshSegments(
      { engine, store: new LocalObjectStore(options.outDir), clock, log, toolVersion: TOOL_VERSION, ...(options.onStage ? { onStage: options.onStage } : {}) },
      { asOf, config },
    );
  } finally {
    await engine.close();
  }
}
