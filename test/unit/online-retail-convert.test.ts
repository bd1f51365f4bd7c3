import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerRow, ISO_TIMESTAMP_PATTERN, OrderRow } from '../../shared/contracts/lake.ts';
import {
  convertOnlineRetail,
  ConvertError,
  CUSTOMER_COLUMNS,
  DEFAULT_INPUT,
  lineAmount,
  ORDER_COLUMNS,
  type ConvertResult,
} from '../../examples/online-retail/convert.ts';
import { CsvError, formatCsvRow, parseCsv, parseCsvTable } from '../../examples/online-retail/csv.ts';
import { categorize, CATEGORY_RULES, normalizeCustomerId, toIsoUtc } from '../../examples/online-retail/mapping.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATASET = resolve(REPO_ROOT, '../shared/datasets/online-retail-sample.csv');
const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

const tmpDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'online-retail-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function readTable(path: string, columns: readonly string[]) {
  const table = parseCsvTable(readFileSync(path, 'utf8'), path, columns);
  expect(table.header).toEqual([...columns]);
  return table.rows.map((r) => r.values);
}

describe('convertOnlineRetail on the real sample', () => {
  let result: ConvertResult;
  let input: Record<string, string>[];
  let orders: Record<string, string>[];
  let customers: Record<string, string>[];

  beforeAll(async () => {
    const out = tempDir();
    result = await convertOnlineRetail(DATASET, out);
    input = readTable(DATASET, HEADER.split(','));
    orders = readTable(join(out, 'orders', 'orders.csv'), ORDER_COLUMNS);
    customers = readTable(join(out, 'customers', 'customers.csv'), CUSTOMER_COLUMNS);
  });

  it('defaults to the shared dataset resolved from the repo root', () => {
    expect(DEFAULT_INPUT).toBe(DATASET);
  });

  it('keeps every line, in order, including those without a customer', () => {
    // The file has no line breaks inside quotes, so physical lines minus the header are the data lines.
    const physical = readFileSync(DATASET, 'utf8').split('\n').filter((l) => l !== '').length - 1;
    expect(physical).toBe(30_000);
    expect(result).toEqual({ lines: 30_000, orders: 12_392, customers: 3_569, missingCustomerId: 2_000 });
    expect(orders).toHaveLength(30_000);
    orders.forEach((o, k) => expect(o.order_id).toBe(input[k]!.InvoiceNo));
  });

  it('writes 2,000 empty customer ids and integer ids without ".0" otherwise', () => {
    expect(orders.filter((o) => o.customer_id === '')).toHaveLength(2_000);
    const bad = orders.filter((o) => o.customer_id !== '' && !/^\d+$/.test(o.customer_id!));
    expect(bad).toEqual([]);
    orders.forEach((o, k) => {
      const raw = input[k]!.CustomerID!;
      expect(o.customer_id).toBe(raw === '' ? '' : String(Number(raw)));
    });
  });

  it('writes timestamps matching the contract pattern, same wall-clock time read as UTC', () => {
    const iso = new RegExp(ISO_TIMESTAMP_PATTERN);
    orders.forEach((o, k) => {
      expect(o.order_ts).toMatch(iso);
      expect(o.order_ts).toBe(`${input[k]!.InvoiceDate!.replace(' ', 'T')}Z`);
      expect(new Date(o.order_ts!).toISOString()).toBe(`${input[k]!.InvoiceDate!.replace(' ', 'T')}.000Z`);
    });
  });

  it('writes amount = Quantity × UnitPrice to the cent, as a two-decimal string', () => {
    orders.forEach((o, k) => {
      // `+ 0` turns the -0 of "-5 × 0.0" into 0 for Object.is.
      const expectedCents = Math.round(Number(input[k]!.Quantity) * Number(input[k]!.UnitPrice) * 100) + 0;
      expect(o.amount).toMatch(/^-?\d+\.\d{2}$/);
      expect(Math.round(Number(o.amount) * 100)).toBe(expectedCents);
    });
    expect(orders.filter((o) => o.amount!.startsWith('-'))).toHaveLength(620);
    expect(orders.filter((o) => o.amount === '0.00')).toHaveLength(37);
  });

  it('keeps columns in place for quoted descriptions with commas and quotes', () => {
    const quoted = input.map((row, k) => ({ row, k })).filter(({ row }) => /[,"]/.test(row.Description!));
    expect(quoted.filter(({ row }) => row.Description!.includes(','))).toHaveLength(238);
    expect(quoted.filter(({ row }) => row.Description!.includes('"')).length).toBeGreaterThan(0);
    for (const { row, k } of quoted) {
      const o = orders[k]!;
      expect(o.order_id).toBe(row.InvoiceNo);
      expect(o.country).toBe(row.Country);
      expect(o.order_ts).toBe(`${row.InvoiceDate!.replace(' ', 'T')}Z`);
      expect(Math.round(Number(o.amount) * 100)).toBe(Math.round(Number(row.Quantity) * Number(row.UnitPrice) * 100) + 0);
    }
  });

  it('passes the contract schema, except missing customer ids which the pipeline must quarantine', () => {
    for (const o of orders) {
      const parsed = OrderRow.safeParse(o);
      if (o.customer_id === '') {
        expect(parsed.success).toBe(false);
        expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['customer_id']);
      } else {
        expect(parsed.success, JSON.stringify(o)).toBe(true);
      }
    }
    const categories = new Set([...CATEGORY_RULES.map((r) => r.category), 'non_product', 'other']);
    expect(orders.filter((o) => !categories.has(o.category!))).toEqual([]);
    expect(new Set(orders.map((o) => `${o.currency}/${o.channel}`))).toEqual(new Set(['GBP/web']));
  });

  it('writes one customer row per id with the most frequent country, ties alphabetical', () => {
    expect(customers).toHaveLength(3_569);
    expect(new Set(customers.map((c) => c.customer_id)).size).toBe(3_569);
    customers.forEach((c) => expect(CustomerRow.safeParse(c).success).toBe(true));
    const country = new Map(customers.map((c) => [c.customer_id, c.country]));
    expect(country.get('12422')).toBe('Australia'); // 3 Switzerland vs 3 Australia
    expect(country.get('12431')).toBe('Australia'); // 11 Australia vs 5 Belgium
    expect(country.get('12417')).toBe('Belgium'); // 9 Belgium vs 3 Spain
    expect(country.get('12923')).toBe('United Kingdom');
    const ordered = new Set(orders.filter((o) => o.customer_id !== '').map((o) => o.customer_id));
    expect(new Set(country.keys())).toEqual(ordered);
  });
});

describe('convertOnlineRetail on a synthetic file', () => {
  it('handles a quoted comma, a doubled quote, CRLF and the amount edge cases', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.csv');
    writeFileSync(
      file,
      [
        HEADER,
        '536365,85123A,"WHITE BAG, ""JUMBO"" SIZE",3,2010-12-01 08:26:00,0.1,17850.0,United Kingdom',
        'C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom',
        '536414,22139,,56,2010-12-01 11:52:00,0.0,,United Kingdom',
        '536415,22140,"CHRISTMAS LIGHTS, SET",1,2010-12-01 11:53:00,0.125,17850.0,EIRE',
        '536416,22141,CUP,-1,2010-12-01 11:54:00,0.125,17850.0,EIRE',
      ].join('\r\n') + '\r\n',
    );
    const out = join(dir, 'lake');
    const result = await convertOnlineRetail(file, out);
    expect(result).toEqual({ lines: 5, orders: 5, customers: 2, missingCustomerId: 1 });
    expect(readFileSync(join(out, 'orders', 'orders.csv'), 'utf8')).toBe(
      [
        ORDER_COLUMNS.join(','),
        '536365,17850,2010-12-01T08:26:00Z,0.30,GBP,bags,web,United Kingdom',
        'C536379,14527,2010-12-01T09:41:00Z,-27.50,GBP,non_product,web,United Kingdom',
        '536414,,2010-12-01T11:52:00Z,0.00,GBP,other,web,United Kingdom',
        '536415,17850,2010-12-01T11:53:00Z,0.13,GBP,christmas,web,EIRE',
        '536416,17850,2010-12-01T11:54:00Z,-0.13,GBP,kitchen,web,EIRE',
      ].join('\n') + '\n',
    );
    // 17850: one United Kingdom line, two EIRE lines.
    expect(readFileSync(join(out, 'customers', 'customers.csv'), 'utf8')).toBe(
      'customer_id,country\n14527,United Kingdom\n17850,EIRE\n',
    );
    // A rerun overwrites its own files.
    await expect(convertOnlineRetail(file, out)).resolves.toEqual(result);
  });

  it('passes bad dates and amounts through for the pipeline to quarantine', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.csv');
    writeFileSync(file, `${HEADER}\n1,A,X,2,2011-02-30 10:00:00,1.0,1.0,UK\n2,A,X,two,2011-02-01 10:00:00,1.0,1.0,UK\n3,A,X,,2011-02-01 10:00,1,1,UK\n`);
    await convertOnlineRetail(file, join(dir, 'lake'));
    const rows = readTable(join(dir, 'lake', 'orders', 'orders.csv'), ORDER_COLUMNS);
    expect(rows.map((r) => [r.order_ts, r.amount])).toEqual([
      ['2011-02-30 10:00:00', '2.00'],
      ['2011-02-01T10:00:00Z', 'two'],
      ['2011-02-01T10:00:00Z', ''],
    ]);
  });

  it('names the file and line of a structural CSV error', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.csv');
    writeFileSync(file, `${HEADER}\n1,A,X,1,2011-02-01 10:00:00,1.0,1.0,UK\n2,A,"X, Y,1,2011-02-01 10:00:00,1.0,1.0,UK\n`);
    await expect(convertOnlineRetail(file, join(dir, 'lake'))).rejects.toThrow(`${file}:3: unterminated quoted field`);
    writeFileSync(file, `${HEADER}\n1,A,X, Y,1,2011-02-01 10:00:00,1.0,1.0,UK\n`);
    await expect(convertOnlineRetail(file, join(dir, 'lake'))).rejects.toThrow(`${file}:2: expected 8 fields, found 9`);
    writeFileSync(file, 'InvoiceNo,Quantity\n1,2\n');
    await expect(convertOnlineRetail(file, join(dir, 'lake'))).rejects.toThrow(CsvError);
  });

  it('refuses an output directory holding files it did not write', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.csv');
    writeFileSync(file, `${HEADER}\n1,A,X,1,2011-02-01 10:00:00,1.0,1.0,UK\n`);
    mkdirSync(join(dir, 'lake', 'orders'), { recursive: true });
    writeFileSync(join(dir, 'lake', 'orders', 'old.parquet'), '');
    await expect(convertOnlineRetail(file, join(dir, 'lake'))).rejects.toThrow(ConvertError);
    await expect(convertOnlineRetail(file, join(dir, 'lake'))).rejects.toThrow(/old\.parquet/);
  });
});

describe('csv module', () => {
  it('parses quotes, doubled quotes, embedded line breaks and a BOM, with start lines', () => {
    const records = parseCsv('\uFEFFa,b\r\n"x, ""y""","1\n2"\n\nlast,\n', 'mem.csv');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"', '1\n2'] },
      { line: 5, fields: ['last', ''] },
    ]);
  });

  it('rejects stray quotes with the line', () => {
    expect(() => parseCsv('a,b\nx,y"z\n', 'mem.csv')).toThrow('mem.csv:2: quote inside an unquoted field');
    expect(() => parseCsv('a,b\n"x"y,z\n', 'mem.csv')).toThrow('mem.csv:2: unexpected character "y" after a closing quote');
  });

  it('round-trips fields that need quoting', () => {
    const fields = ['plain', 'a,b', 'say "hi"', 'two\nlines', ' padded ', ''];
    expect(parseCsv(formatCsvRow(fields) + '\n', 'mem.csv')[0]!.fields).toEqual(fields);
  });
});

describe('field mappings', () => {
  it('normalizes float customer ids', () => {
    expect(normalizeCustomerId('12923.0')).toBe('12923');
    expect(normalizeCustomerId(' 12923 ')).toBe('12923');
    expect(normalizeCustomerId('')).toBe('');
    expect(normalizeCustomerId('12923.5')).toBe('12923.5');
  });

  it('converts local timestamps to ISO UTC and rejects impossible ones', () => {
    expect(toIsoUtc('2011-10-06 16:20:00')).toBe('2011-10-06T16:20:00Z');
    expect(toIsoUtc('2011-10-06 16:20')).toBe('2011-10-06T16:20:00Z');
    expect(toIsoUtc('2011-02-29 10:00:00')).toBeNull();
    expect(toIsoUtc('2011-10-06 24:00:00')).toBeNull();
    expect(toIsoUtc('10/6/2011 16:20')).toBeNull();
  });

  it('computes exact amounts', () => {
    expect(lineAmount('3', '0.1')).toBe('0.30');
    expect(lineAmount('-12', '1.25')).toBe('-15.00');
    expect(lineAmount('1', '0.005')).toBe('0.01');
    expect(lineAmount('-1', '0.004')).toBe('0.00');
    expect(lineAmount('2', '2114.0')).toBe('4228.00');
  });

  it('maps descriptions to categories, first rule wins', () => {
    expect(categorize('23000', 'PAPER CHAIN KIT 50\'S CHRISTMAS ')).toBe('christmas');
    expect(categorize('20725', 'LUNCH BAG RED RETROSPOT')).toBe('bags');
    expect(categorize('85123A', 'WHITE HANGING HEART T-LIGHT HOLDER')).toBe('lighting');
    expect(categorize('22960', 'JAM MAKING SET WITH JARS')).toBe('kitchen');
    expect(categorize('22986', 'GINGHAM ROSE WRAP')).toBe('stationery');
    expect(categorize('POST', 'POSTAGE')).toBe('non_product');
    expect(categorize('21411', 'GINGHAM HEART DOORSTOP RED')).toBe('other');
    expect(categorize('22000', '')).toBe('other');
    // Whole words only: CABBAGE is not a bag, PENDANT is not a pen.
    expect(categorize('1', 'CABBAGE PENDANT')).toBe('other');
  });
});
