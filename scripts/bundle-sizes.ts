/**
 * Bundles every Lambda handler (functions/<name>/handler.ts) exactly as the CDK stack does (infra/bundling.ts)
 * and prints each bundle's size and what it is made of, so a dependency that bloats a cold start is noticed
 * before it is deployed. Usage: npm run bundle-sizes [-- --top 20]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { handlerEsbuildOptions } from '../infra/bundling.ts';
import { PROJECT_ROOT } from '../infra/refresh-settings.ts';

const KiB = 1024;
const fmt = (bytes: number) => `${bytes.toLocaleString('en-US')} B (${(bytes / KiB).toFixed(1)} KiB)`;

/** The package a bundled input belongs to (`@aws-sdk/client-s3`, `zod`), or the project for its own files. */
export function packageOf(input: string): string {
  const parts = input.split('node_modules/');
  if (parts.length === 1) return '(project) ' + (input.split('/').slice(0, 2).join('/') || input);
  const rest = parts.at(-1)!.split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

export interface BundleReport {
  readonly handler: string;
  readonly bytes: number;
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
  /** Every input in the bundle with its bytes in the output, largest first. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** Packages imported but left out of the bundle (NEVER_BUNDLED ones): must be none on a handler's path. */
  readonly externalImports: readonly string[];
}

export async function measureHandler(entry: string, outdir: string): Promise<BundleReport> {
  const outfile = path.join(outdir, `${path.basename(path.dirname(entry))}.mjs`);
  const result = await build(handlerEsbuildOptions(entry, outfile));
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))![1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  }
  const bySize = (a: { bytes: number }, b: { bytes: number }) => b.bytes - a.bytes;
  // Node's built-ins are external by nature ('<runtime>' is esbuild's own helper); anything else is a package
  // the bundle expects to find at run time.
  const externalImports = Object.values(result.metafile.inputs)
    .flatMap((input) => input.imports.filter((i) => i.external && !isBuiltin(i.path) && i.path !== '<runtime>').map((i) => i.path))
    .filter((name, index, all) => all.indexOf(name) === index);
  return {
    handler: path.relative(PROJECT_ROOT, entry),
    bytes: statSync(outfile).size,
    packages: [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort(bySize),
    files: Object.entries(output.inputs).map(([name, { bytesInOutput }]) => ({ name, bytes: bytesInOutput })).sort(bySize),
    externalImports,
  };
}

export function handlerEntries(root = PROJECT_ROOT): string[] {
  const functions = path.join(root, 'functions');
  return readdirSync(functions, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(functions, d.name, 'handler.ts'))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
}

async function main(): Promise<void> {
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 12;
  const outdir = mkdtempSync(path.join(tmpdir(), 'bundle-sizes-'));
  try {
    for (const entry of handlerEntries()) {
      const report = await measureHandler(entry, outdir);
      console.log(`${report.handler}: ${fmt(report.bytes)}`);
      const line = ({ name, bytes }: { name: string; bytes: number }) =>
        console.log(`  ${(((bytes / report.bytes) * 100).toFixed(1) + '%').padStart(6)}  ${fmt(bytes).padEnd(26)} ${name}`);
      console.log(' by package:');
      report.packages.slice(0, top).forEach(line);
      console.log(' largest files:');
      report.files.slice(0, Math.min(top, 8)).forEach(line);
      if (report.externalImports.length > 0) {
        // Lambda has none of them (DuckDB in particular is never deployed): the handler would fail to load.
        console.log(`  ERROR: imports left out of the bundle: ${report.externalImports.join(', ')}`);
        process.exitCode = 1;
      }
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
