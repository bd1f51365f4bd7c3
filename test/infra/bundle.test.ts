import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REFRESH_ENTRY } from '../../infra/refresh-function.ts';
import { PROJECT_ROOT } from '../../infra/refresh-settings.ts';
import { GOAL_BYTES, handlerEntries, measureHandler } from '../../scripts/bundle-sizes.ts';
import { probeImport } from '../../scripts/handler-import-time.ts';
import { synthApp } from './synth.ts';

/** What a cold start may load. The SDK clients, zod and the pipeline fit comfortably when zod is tree-shaken. */
const BUNDLE_BUDGET_BYTES = GOAL_BYTES;

// The one real bundling in the suite: the refresh stack synthesized as `cdk synth` does it, esbuild included.
const { app, refresh } = synthApp({}, true);
const assembly = app.synth();
const assetsManifest = JSON.parse(readFileSync(path.join(assembly.directory, `${refresh.artifactId}.assets.json`), 'utf8')) as {
  files: Record<string, { source: { path: string; packaging?: string } }>;
};
const bundleDir = Object.values(assetsManifest.files)
  .map((file) => path.join(assembly.directory, file.source.path))
  .find((dir) => existsSync(path.join(dir, 'index.mjs')));
const bundleFile = path.join(bundleDir ?? '', 'index.mjs');
const scratch = mkdtempSync(path.join(tmpdir(), 'bundle-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// Every handler built through esbuild's API with the same options, for its metafile: what went into the bundle and
// what was left out.
const bundles = await Promise.all(handlerEntries().map((entry) => measureHandler(entry, scratch)));
const measured = bundles.find((bundle) => bundle.handler === path.relative(PROJECT_ROOT, REFRESH_ENTRY))!;

describe('refresh handler bundle', () => {
  it('is a single ES module in the function asset', () => {
    expect(bundleDir, 'no asset with index.mjs').toBeDefined();
    expect(readdirSync(bundleDir!).filter((name) => !name.startsWith('.'))).toEqual(['index.mjs']);
  });

  it(`stays under ${BUNDLE_BUDGET_BYTES.toLocaleString('en-US')} bytes`, () => {
    const bytes = statSync(bundleFile).size;
    console.info(`refresh bundle: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    const top = measured.packages.slice(0, 5).map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)} KiB`).join(', ');
    expect(bytes, `largest contributors: ${top}`).toBeLessThan(BUNDLE_BUDGET_BYTES);
  });

  // The text itself may say "duckdb" (the engine name in the output contract); what must never be there is DuckDB.
  it('contains no DuckDB: neither its package nor the project’s DuckDB engine, and imports neither', () => {
    expect(measured.files.map((f) => f.name).filter((name) => /duckdb/i.test(name))).toEqual([]);
    expect(measured.externalImports.filter((name) => /duckdb/i.test(name))).toEqual([]);
  });

  it('bundles everything but Node built-ins, the AWS SDK included', () => {
    expect(measured.externalImports).toEqual([]);
    for (const pkg of ['@aws-sdk/client-athena', '@aws-sdk/client-s3', '@aws-sdk/lib-storage']) {
      expect(measured.packages.map((p) => p.name)).toContain(pkg);
    }
  });

  it('loads as Lambda loads it and exports the handler', async () => {
    const module = (await import(pathToFileURL(bundleFile).href)) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });

  it('is what scripts/bundle-sizes.ts measures (one set of bundling options)', () => {
    expect(measured.bytes).toBe(statSync(bundleFile).size);
  });
});

// Import time is a benchmark (npm run bundle-sizes), not asserted here: a timed test on a loaded machine only
// measures the load. What is asserted is what keeps a cold start small and safe.
describe.each(bundles)('$handler bundle', (bundle) => {
  it(`is under ${BUNDLE_BUDGET_BYTES.toLocaleString('en-US')} bytes`, () => {
    expect(bundle.bytes).toBeLessThan(BUNDLE_BUDGET_BYTES);
  });

  it('imports in a fresh Node process without AWS settings or network, and builds no SDK client while loading', () => {
    const probe = probeImport(bundle.outfile);
    expect(probe.handlerExport).toBe('function');
    expect(probe.networkAttempts).toEqual([]);
    // AWS_LAMBDA_* are the runtime's flags, read by the SDK's module code; a client's configuration reads the rest.
    expect(probe.awsEnvRead.filter((name) => !name.startsWith('AWS_LAMBDA_'))).toEqual([]);
  });
});

describe('the cold-import probe', () => {
  it('notices an SDK client built at import time', async () => {
    const eager = await measureHandler(path.join(import.meta.dirname, '../fixtures/eager-client/handler.ts'), scratch);
    const probe = probeImport(eager.outfile);
    expect(probe.handlerExport).toBe('function');
    expect(probe.awsEnvRead).toEqual(expect.arrayContaining(['AWS_PROFILE']));
  });
});
