import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TABLES, type TableName } from '../contracts/lake.ts';
import { InputError } from '../errors.ts';
import { sqlString } from '../sql/literals.ts';
import { compareText } from '../compare.ts';

/**
 * Reading a local lake folder into DuckDB: one `raw_<table>` view per table with every contract column as text
 * plus `source_file`, whatever the files' format. This is the DuckDB counterpart of the Glue tables Athena reads;
 * it is not part of the shared SQL.
 */

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

export interface LakeFile {
  readonly path: string;
  readonly relative: string;
  readonly bytes: number;
  readonly format: FileFormat;
}

const FORMAT_BY_SUFFIX: [RegExp, FileFormat][] = [
  [/\.csv(\.gz|\.zst)?$/i, 'csv'],
  [/\.(jsonl|ndjson|json)(\.gz|\.zst)?$/i, 'jsonl'],
  [/\.parquet$/i, 'parquet'],
];

/** Hidden files and folders, and those starting with '_' (markers, metadata), are not data. */
const isIgnored = (name: string) => name.startsWith('.') || name.startsWith('_');

export async function listTableFiles(lakeDir: string, table: TableName): Promise<LakeFile[] | undefined> {
  const root = path.join(lakeDir, table);
  // Only a folder that does not exist is an absent table: one that cannot be read would silently drop its data.
  const rootStat = await stat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new InputError(`${root} cannot be read (${error.code ?? error.message})`, { table, path: root }, { cause: error });
  });
  if (!rootStat) return undefined;
  if (!rootStat.isDirectory()) throw new InputError(`${root} is not a folder`, { table, path: root });
  const files: LakeFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => compareText(a.name, b.name));
    for (const entry of entries) {
      if (isIgnored(entry.name)) continue;
      const full = path.resolve(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      const format = FORMAT_BY_SUFFIX.find(([re]) => re.test(entry.name))?.[1];
      const relative = path.relative(lakeDir, full).split(path.sep).join('/');
      if (!format) {
        throw new InputError(
          `${relative}: unsupported file type in the ${table} table (expected .csv, .jsonl/.ndjson/.json or .parquet)`,
          { table, file: relative },
        );
      }
      const { size } = await stat(full);
      if (size > 0) files.push({ path: full, relative, bytes: size, format });
    }
  };
  await walk(root);
  return files;
}

/**
 * The first line of a CSV file: files are grouped by header so each group can be read with reject tracking. The
 * key keeps the line ending: one read_csv call takes its dialect from its first file, so a CRLF file grouped with
 * LF files fails the whole scan ("column … could not be found").
 */
export async function readCsvHeader(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const end = text.search(/\r?\n/);
    return `${(end === -1 ? text : text.slice(0, end)).trim()}${text[end] === '\r' ? ' (CRLF)' : ''}`;
  } finally {
    await handle.close();
  }
}

/** The lines a read_csv call with `rejects_table = rejects` refused, one row per line (a short line is reported once per missing column). */
export const rejectedLinesSql = (rejects: string) =>
  `SELECT s.file_path AS file, e.line AS line, min(e.error_message) AS error FROM ${rejects} AS e JOIN ${rejects}_scan AS s ON s.scan_id = e.scan_id AND s.file_id = e.file_id GROUP BY s.file_path, e.line`;

export const UNCLOSED_QUOTE = 'Value with unterminated quote found: the file ends inside it.';

/**
 * The line a CSV file's last record starts an unclosed quoted value on, or null when every quote closes. DuckDB
 * (1.5) drops such a record without a rejects row when the file is not among those it sniffed (seen 2026-11-24: a
 * 365-file lake lost the line and counted nothing), so the parity of the file's quotes decides, not the reader.
 * Compressed files are left to the reader.
 */
export async function unclosedQuoteLine(file: LakeFile): Promise<number | null> {
  if (!/\.csv$/i.test(file.path)) return null;
  const QUOTE = 0x22;
  let inQuote = false;
  let openedAt = -1;
  let offset = 0;
  for await (const chunk of createReadStream(file.path)) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(QUOTE); i !== -1; i = bytes.indexOf(QUOTE, i + 1)) {
      inQuote = !inQuote;
      if (inQuote) openedAt = offset + i;
    }
    offset += bytes.length;
  }
  if (!inQuote) return null;
  let line = 1;
  if (openedAt > 0) {
    for await (const chunk of createReadStream(file.path, { end: openedAt - 1 })) {
      const bytes = chunk as Buffer;
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) line += 1;
    }
  }
  return line;
}

export const fileList = (files: readonly LakeFile[]) => `[${files.map((f) => sqlString(f.path)).join(', ')}]`;

/**
 * Expression giving a contract column as text from a column of the given DuckDB type: lists are joined with
 * '|' (the CSV convention), timestamps rendered as ISO-8601 UTC, everything else cast.
 */
export function asTextExpression(column: string, duckType: string): string {
  const quoted = `"${column}"`;
  if (duckType.endsWith('[]')) return `array_to_string(${quoted}, '|')`;
  if (duckType === 'TIMESTAMP WITH TIME ZONE') return `strftime(timezone('UTC', ${quoted}), '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (duckType.startsWith('TIMESTAMP')) return `strftime(${quoted}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (duckType === 'DATE') return `strftime(${quoted}, '%Y-%m-%d')`;
  return `CAST(${quoted} AS VARCHAR)`;
}

export function emptyRawView(table: TableName): string {
  const columns = TABLES[table].columns.map((c) => `CAST(NULL AS VARCHAR) AS ${c.name}`);
  return `SELECT ${columns.join(', ')}, CAST(NULL AS VARCHAR) AS source_file WHERE false`;
}

/**
 * JSON Lines read as text lines, so one malformed line is quarantined instead of failing the whole scan. A line
 * that is not UTF-8 (Latin-1 bytes) cannot even be read as text: it goes to the rejects table, like a bad CSV line.
 */
export function jsonLinesSource(files: readonly LakeFile[], rejects: string): string {
  return `read_csv(${fileList(files)}, columns = {'line': 'VARCHAR'}, header = false, delim = '\u001f', quote = '', escape = '', filename = true, auto_detect = false, strict_mode = false, store_rejects = true, ignore_errors = true, rejects_table = '${rejects}', rejects_scan = '${rejects}_scan')`;
}

/** How an invalid JSON line is reported: this prefix and the line's first 120 characters (as DuckDB's left()). */
export const INVALID_JSON = 'invalid JSON: ';
const EXCERPT_CHARS = 120;
export const invalidJsonSql = (line: string) => `concat(${sqlString(INVALID_JSON)}, left(${line}, ${EXCERPT_CHARS}))`;
const invalidJsonText = (line: string) => `${INVALID_JSON}${[...line].slice(0, EXCERPT_CHARS).join('')}`;

/**
 * The line numbers of invalid JSON lines, which DuckDB's line reader does not give: the file is read once more,
 * only when it holds such lines, and each report is matched to the next invalid line with the same text.
 * A report no line matches (a line DuckDB and Node split differently) stays without a number.
 */
export async function invalidJsonLineNumbers(file: string, reports: readonly string[]): Promise<(number | undefined)[]> {
  const numbers: (number | undefined)[] = reports.map(() => undefined);
  const waiting = new Map<string, number[]>();
  reports.forEach((report, i) => waiting.set(report, [...(waiting.get(report) ?? []), i]));
  let left = reports.length;
  let lineNumber = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      lineNumber++;
      const slots = waiting.get(invalidJsonText(line));
      if (!slots?.length || isJson(line)) continue;
      numbers[slots.shift()!] = lineNumber;
      if (--left === 0) break;
    }
  } finally {
    lines.close();
  }
  return numbers;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function jsonFieldAsText(field: string, list: boolean): string {
  const pathLiteral = sqlString(`$.${field}`);
  const scalar = `json_extract_string(line, ${pathLiteral})`;
  if (!list) return scalar;
  return `CASE WHEN json_type(line, ${pathLiteral}) = 'ARRAY' THEN array_to_string(CAST(json_extract(line, ${pathLiteral}) AS VARCHAR[]), '|') ELSE ${scalar} END`;
}

export function relativeSourceFile(lakeDir: string, column = 'filename'): string {
  const prefix = `${path.resolve(lakeDir)}${path.sep}`;
  return `replace(${column}, ${sqlString(prefix)}, '')`;
}
