/**
 * A small RFC-4180 CSV reader and writer.
 *
 * Hand-written rather than DuckDB so the test oracle can read the source file without the engine it is checking,
 * and so every structural problem is reported with the file and the physical line where the record starts.
 */

/** A structural CSV problem (unterminated quote, stray quote, wrong field count, missing column). */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

export interface CsvRecord {
  /** 1-based physical line where the record starts; a quoted field may carry it over several lines. */
  readonly line: number;
  readonly fields: string[];
}

/**
 * Splits CSV text into records. Accepts LF and CRLF line ends, quoted fields with doubled quotes, commas and line
 * breaks inside quotes, and a leading UTF-8 BOM. Whitespace is kept as is: descriptions in real exports carry
 * meaningful trailing blanks and the caller decides whether to trim. Entirely empty lines are skipped because
 * exports often end with one or two.
 */
export function parseCsv(text: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;

  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let recordDone = false;

    // An empty physical line is not a record with one empty field.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line += 1;
      continue;
    }

    while (!recordDone) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= n) throw new CsvError(source, startLine, 'unterminated quoted field');
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          if (ch === '\n') line += 1;
          field += ch;
          i += 1;
        }
        const next = text[i];
        if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvError(source, line, `unexpected character ${JSON.stringify(next)} after a closing quote`);
        }
      } else {
        const start = i;
        while (i < n) {
          const ch = text[i];
          if (ch === ',' || ch === '\n' || ch === '\r') break;
          if (ch === '"') throw new CsvError(source, line, 'quote inside an unquoted field (the field must be quoted and the quote doubled)');
          i += 1;
        }
        field = text.slice(start, i);
      }
      fields.push(field);

      if (i >= n) {
        recordDone = true;
      } else if (text[i] === ',') {
        i += 1;
      } else if (text[i] === '\n') {
        i += 1;
        line += 1;
        recordDone = true;
      } else if (text[i] === '\r' && text[i + 1] === '\n') {
        i += 2;
        line += 1;
        recordDone = true;
      } else {
        throw new CsvError(source, line, 'bare carriage return outside a quoted field');
      }
    }
    records.push({ line: startLine, fields });
  }
  return records;
}

export interface CsvTable {
  readonly header: string[];
  /** Data rows keyed by header name, with the line each came from. */
  readonly rows: { line: number; values: Record<string, string> }[];
}

/**
 * Parses CSV with a header row and checks that every `required` column is present and every row has as many
 * fields as the header: a short or long row means a quoting error upstream, and silently shifting columns would
 * put prices into customer ids.
 */
export function parseCsvTable(text: string, source: string, required: readonly string[] = []): CsvTable {
  const [head, ...body] = parseCsv(text, source);
  if (!head) throw new CsvError(source, 1, 'empty file: a header row is required');
  const header = head.fields;
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new CsvError(source, head.line, `missing column(s) ${missing.join(', ')}; header is ${header.join(',')}`);
  }
  const rows = body.map((rec) => {
    if (rec.fields.length !== header.length) {
      throw new CsvError(source, rec.line, `expected ${header.length} fields, found ${rec.fields.length}`);
    }
    const values: Record<string, string> = {};
    header.forEach((name, k) => {
      values[name] = rec.fields[k]!;
    });
    return { line: rec.line, values };
  });
  return { header, rows };
}

/** Quotes a field only when it has to, or when edge blanks could be trimmed away by a lenient reader. */
export function formatCsvField(value: string): string {
  if (/[",\r\n]/.test(value) || value !== value.trim()) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

export function formatCsvRow(fields: readonly string[]): string {
  return fields.map(formatCsvField).join(',');
}

/** Renders a whole file with LF line ends and a trailing newline. */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map(formatCsvRow).join('\n') + '\n';
}
