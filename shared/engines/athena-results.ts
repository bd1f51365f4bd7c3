import type { ColumnInfo, QueryExecution, ResultSet } from '@aws-sdk/client-athena';
import { QueryFailedError } from '../errors.ts';
import type { Row } from './query-engine.ts';

/**
 * Athena's GetQueryResults as the port's rows. Every value arrives as text (or without VarCharValue for NULL);
 * ColumnInfo.Type says how to read it, so rows look exactly like the DuckDB adapter's: numbers, booleans,
 * DATE as 'YYYY-MM-DD', TIMESTAMP as ISO-8601 UTC.
 */

type Parse = (text: string) => unknown;

interface ParseContext {
  readonly step: string;
  readonly queryId: string;
}

const NUMERIC_TYPES = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint', 'decimal']);
const FLOATING_TYPES = new Set(['real', 'double', 'float']);
const TEXT_TYPES = new Set(['varchar', 'char', 'string']);
/** Types whose text Athena renders in its own notation: guessing their structure would be wrong sometimes. */
const NESTED_TYPES = new Set(['array', 'map', 'row', 'struct']);

function invalid(context: ParseContext, column: string, type: string, text: string, why: string): never {
  throw new QueryFailedError(`step "${context.step}": column "${column}" (${type}) has value ${JSON.stringify(text.slice(0, 80))}: ${why}`, {
    step: context.step,
    queryId: context.queryId,
    column,
    type,
  });
}

/** A parser for one result column, chosen once from its type; unsupported types fail before any row is read. */
export function columnParser(info: ColumnInfo, context: ParseContext): Parse {
  const column = info.Name ?? '?';
  const type = (info.Type ?? '').toLowerCase().trim();
  const base = type.replace(/\(.*$/, '').trim();
  const bad = (text: string, why: string) => invalid(context, column, type, text, why);

  if (NUMERIC_TYPES.has(base)) {
    return (text) => {
      const value = Number(text);
      // Integers and decimals are never NaN or infinite; one that is means the text was not a number.
      return Number.isFinite(value) && text.trim() !== '' ? value : bad(text, 'not a number');
    };
  }
  // DOUBLE may legitimately be NaN or ±Infinity, which Athena writes as Number() reads them.
  if (FLOATING_TYPES.has(base)) return (text) => (text.trim() === '' ? bad(text, 'not a number') : Number(text));
  if (base === 'boolean') {
    return (text) => (text === 'true' ? true : text === 'false' ? false : bad(text, 'not a boolean'));
  }
  if (base === 'date') return (text) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? text : bad(text, 'not a YYYY-MM-DD date'));
  if (base.startsWith('timestamp')) {
    return (text) => {
      try {
        return athenaTimestampToIso(text);
      } catch (error) {
        return bad(text, (error as Error).message);
      }
    };
  }
  if (TEXT_TYPES.has(base)) return (text) => text;
  if (base === 'json') {
    return (text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return bad(text, 'not valid JSON');
      }
    };
  }
  // The type of a bare NULL literal: every value is NULL, which never reaches the parser.
  if (base === 'unknown') return (text) => text;
  if (NESTED_TYPES.has(base)) {
    throw new QueryFailedError(
      `step "${context.step}": column "${column}" is of type ${type}; the adapter does not parse Athena's text rendering of nested types — select it as json (CAST(... AS json)) or as scalars`,
      { step: context.step, queryId: context.queryId, column, type },
    );
  }
  throw new QueryFailedError(`step "${context.step}": column "${column}" has type ${type || '(none)'}, which the Athena adapter does not read`, {
    step: context.step,
    queryId: context.queryId,
    column,
    type,
  });
}

const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*(UTC|Z|Etc\/UTC|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Athena's TIMESTAMP text ('2026-03-01 10:00:00.000', optionally followed by 'UTC' or an offset for TIMESTAMP WITH
 * TIME ZONE) as ISO-8601 UTC with milliseconds. A zone name other than UTC is rejected instead of guessed: the
 * shared SQL keeps every timestamp in UTC.
 */
export function athenaTimestampToIso(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text.trim());
  if (!match) throw new Error('not a timestamp Athena writes (expected e.g. 2026-03-01 10:00:00.000, with UTC or an offset at most)');
  const [, date, hoursMinutes, seconds = '00', fraction = '', zone] = match;
  // Date keeps milliseconds only; finer digits (TIMESTAMP(6)) are truncated, as DuckDB's rendering does.
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const offset = zone === undefined || zone === 'UTC' || zone === 'Z' || zone === 'Etc/UTC' ? 'Z' : normalizeOffset(zone);
  const parsed = new Date(`${date}T${hoursMinutes}:${seconds}.${millis}${offset}`);
  if (Number.isNaN(parsed.getTime())) throw new Error('not a valid date and time');
  return parsed.toISOString();
}

function normalizeOffset(offset: string): string {
  const digits = offset.slice(1).replace(':', '');
  return `${offset[0]}${digits.slice(0, 2)}:${digits.slice(2, 4).padEnd(2, '0')}`;
}

/**
 * Whether the first row of the first page repeats the column names. Athena adds that row for SELECT results only,
 * not for DDL or utility statements (SHOW, DESCRIBE).
 */
export function resultsHaveHeader(execution: QueryExecution | undefined): boolean {
  if (execution?.StatementType === 'DDL' || execution?.StatementType === 'UTILITY') return false;
  const sub = execution?.SubstatementType;
  return sub === undefined || sub.toUpperCase() === 'SELECT';
}

/** All pages of a result as rows; `header` drops the first row of the first page. */
export function parseResultPages(pages: readonly ResultSet[], options: { header: boolean } & ParseContext): Row[] {
  const columns = pages[0]?.ResultSetMetadata?.ColumnInfo ?? [];
  const parsers = columns.map((info) => columnParser(info, options));
  const names = columns.map((info, i) => info.Name ?? `_col${i}`);
  const rows: Row[] = [];
  pages.forEach((page, pageIndex) => {
    (page.Rows ?? []).forEach((row, rowIndex) => {
      if (options.header && pageIndex === 0 && rowIndex === 0) return;
      const data = row.Data ?? [];
      if (data.length !== columns.length) {
        throw new QueryFailedError(`step "${options.step}": a result row has ${data.length} values for ${columns.length} columns`, {
          step: options.step,
          queryId: options.queryId,
        });
      }
      const out: Row = {};
      data.forEach((datum, i) => {
        const text = datum.VarCharValue;
        out[names[i]!] = text === undefined ? null : parsers[i]!(text);
      });
      rows.push(out);
    });
  });
  return rows;
}
