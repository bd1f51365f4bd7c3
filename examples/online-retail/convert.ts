/**
 * Converts the UCI "Online Retail" export into the lake input contract (shared/contracts/lake.ts):
 *   <out>/orders/orders.csv        one row per invoice line, including lines without a customer id
 *   <out>/customers/customers.csv  customer_id,country
 *
 * Usage (from the repo root):
 *   npx tsx examples/online-retail/convert.ts [--in FILE] [--out DIR]
 * See README.md next to this file for the mapping and its assumptions.
 */
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatCsv, parseCsvTable } from './csv.ts';
import { formatDecimal, multiply, parseDecimal, roundTo } from './decimal.ts';
import { categorize, normalizeCustomerId, toIsoUtc } from './mapping.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_INPUT = resolve(REPO_ROOT, '../shared/datasets/online-retail-sample.csv');
export const DEFAULT_OUTPUT = resolve(REPO_ROOT, '.data/online-retail-lake');

export const RETAIL_COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
] as const;
export const ORDER_COLUMNS = ['order_id', 'customer_id', 'order_ts', 'amount', 'currency', 'category', 'channel', 'country'] as const;
export const CUSTOMER_COLUMNS = ['customer_id', 'country'] as const;

export interface ConvertResult {
  /** Data lines read, which is also the number of rows written to orders.csv (none are dropped). */
  lines: number;
  /** Distinct InvoiceNo values, cancellations included. */
  orders: number;
  /** Distinct customer ids, i.e. rows written to customers.csv. */
  customers: number;
  /** Lines written with an empty customer_id, for the pipeline to quarantine as missing_customer_id. */
  missingCustomerId: number;
}

/** A problem with the output location, named so the user knows which file to move. */
export class ConvertError extends Error {
  override readonly name = 'ConvertError';
}

/**
 * Quantity × UnitPrice to the cent, half away from zero, as a decimal string. A blank operand gives a blank
 * amount and a non-numeric one is passed through as written: the pipeline, not the converter, decides what to
 * quarantine (missing_amount, non_numeric_amount), so the quality report shows the export's real defects.
 */
export function lineAmount(quantity: string, unitPrice: string): string {
  if (quantity.trim() === '' || unitPrice.trim() === '') return '';
  const q = parseDecimal(quantity);
  const p = parseDecimal(unitPrice);
  if (!q) return quantity.trim();
  if (!p) return unitPrice.trim();
  return formatDecimal(roundTo(multiply(q, p), 2));
}

export interface ConvertedTables {
  orders: string[][];
  customers: string[][];
  result: ConvertResult;
}

/** The whole conversion on in-memory text; `source` names the input in error messages. */
export function convertRetailText(text: string, source: string): ConvertedTables {
  const { rows } = parseCsvTable(text, source, RETAIL_COLUMNS);
  const orders: string[][] = [];
  const invoices = new Set<string>();
  const countriesByCustomer = new Map<string, Map<string, number>>();
  let missingCustomerId = 0;

  for (const { values: v } of rows) {
    const invoice = v.InvoiceNo!.trim();
    const customerId = normalizeCustomerId(v.CustomerID!);
    const country = v.Country!.trim();
    invoices.add(invoice);
    if (customerId === '') {
      missingCustomerId += 1;
    } else {
      const counts = countriesByCustomer.get(customerId) ?? new Map<string, number>();
      if (country !== '') counts.set(country, (counts.get(country) ?? 0) + 1);
      countriesByCustomer.set(customerId, counts);
    }
    orders.push([
      invoice,
      customerId,
      // An unparseable date goes through unchanged so staging quarantines it as bad_timestamp.
      toIsoUtc(v.InvoiceDate!) ?? v.InvoiceDate!.trim(),
      lineAmount(v.Quantity!, v.UnitPrice!),
      'GBP',
      categorize(v.StockCode!, v.Description!),
      'web',
      country,
    ]);
  }

  const customers = [...countriesByCustomer.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([id, counts]) => [id, mostFrequent(counts)]);

  return {
    orders,
    customers,
    result: { lines: rows.length, orders: invoices.size, customers: customers.length, missingCustomerId },
  };
}

/** Most frequent key; ties go to the alphabetically first so reruns give the same file. */
function mostFrequent(counts: Map<string, number>): string {
  let best = '';
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && key < best)) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}

/** Numeric ids in numeric order, anything else after them in text order: only for a stable, readable file. */
function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const OWNED_FILES: Record<string, string> = { orders: 'orders.csv', customers: 'customers.csv' };

/**
 * The pipeline reads every file under a table folder, so a stale or foreign file next to ours would be merged
 * into the result without a word. Refuse instead of deleting what we did not write.
 */
async function assertOutputIsOurs(outDir: string): Promise<void> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  const foreign: string[] = [];
  for (const entry of entries) {
    const owned = OWNED_FILES[entry.name];
    if (!owned || !entry.isDirectory()) {
      foreign.push(join(outDir, entry.name));
      continue;
    }
    for (const inner of await readdir(join(outDir, entry.name))) {
      if (inner !== owned) foreign.push(join(outDir, entry.name, inner));
    }
  }
  if (foreign.length > 0) {
    throw new ConvertError(
      `${outDir}: output directory holds files this converter did not write (${foreign.slice(0, 5).join(', ')}` +
        `${foreign.length > 5 ? ', …' : ''}); the pipeline would read them too. Use an empty directory or remove them.`,
    );
  }
}

/** Write next to the target and rename, so an interrupted run never leaves a half-written table behind. */
async function writeAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, 'utf8');
  await rename(tmp, path);
}

export async function convertOnlineRetail(inputCsv: string, outDir: string): Promise<ConvertResult> {
  const text = await readFile(inputCsv, 'utf8');
  const { orders, customers, result } = convertRetailText(text, inputCsv);
  const outStat = await stat(outDir).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new ConvertError(`${outDir}: output path exists and is not a directory`);
  await assertOutputIsOurs(outDir);
  await writeAtomically(join(outDir, 'orders', 'orders.csv'), formatCsv(ORDER_COLUMNS, orders));
  await writeAtomically(join(outDir, 'customers', 'customers.csv'), formatCsv(CUSTOMER_COLUMNS, customers));
  return result;
}

function parseArgs(argv: string[]): { input: string; output: string } {
  let input = DEFAULT_INPUT;
  let output = DEFAULT_OUTPUT;
  for (let k = 0; k < argv.length; k += 1) {
    const arg = argv[k]!;
    const value = (): string => {
      const v = argv[k + 1];
      if (v === undefined || v.startsWith('--')) throw new ConvertError(`${arg} needs a value`);
      k += 1;
      return v;
    };
    if (arg === '--in') input = resolve(value());
    else if (arg === '--out') output = resolve(value());
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npx tsx examples/online-retail/convert.ts [--in FILE] [--out DIR]');
      process.exit(0);
    } else throw new ConvertError(`unknown argument ${arg} (expected --in FILE, --out DIR)`);
  }
  return { input, output };
}

/** Paths under the working directory are shown relative to it, others in full. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

async function main(): Promise<void> {
  const { input, output } = parseArgs(process.argv.slice(2));
  const r = await convertOnlineRetail(input, output);
  const shown = display(output);
  console.log(`read ${r.lines} lines from ${display(input)}`);
  console.log(`wrote ${shown}/orders/orders.csv: ${r.lines} lines, ${r.orders} invoices, ${r.missingCustomerId} without customer id`);
  console.log(`wrote ${shown}/customers/customers.csv: ${r.customers} customers`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  });
}
