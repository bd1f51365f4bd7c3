import { ISO_TIMESTAMP_PATTERN } from '../contracts/lake.ts';

/**
 * The compatibility layer: the few Trino functions the shared SQL uses that DuckDB lacks, as DuckDB macros.
 * It lives on the DuckDB side only; Athena receives the SQL unchanged. Each macro keeps Trino's meaning, not
 * just its name, and test/adapters/engine-semantics.test.ts pins the meaning.
 *
 * - from_iso8601_timestamp: Trino accepts only ISO-8601 (a 'T' separator, optional offset) and raises otherwise;
 *   DuckDB's cast also accepts '2024-01-01 10:00'. The macro returns NULL for anything Trino would reject, so
 *   `try(from_iso8601_timestamp(x))` — the only form the shared SQL uses — agrees in both engines.
 *   (DuckDB's try() refuses volatile functions such as error(), hence NULL instead of raising.)
 * - from_iso8601_date: likewise for plain YYYY-MM-DD dates.
 * - regexp_like: DuckDB calls it regexp_matches (same partial-match semantics).
 * - cardinality: Trino's array length; DuckDB's cardinality only takes maps.
 * - day_of_week: Trino's ISO day (Monday = 1); DuckDB's dayofweek counts from Sunday = 0, isodow matches Trino.
 * - array_join: DuckDB's array_to_string.
 */
export const DUCKDB_COMPAT_MACROS: readonly string[] = [
  `CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS
     CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '${ISO_TIMESTAMP_PATTERN.slice(1, -1)}')
          THEN TRY_CAST(CAST(s AS VARCHAR) AS TIMESTAMPTZ) END`,
  `CREATE OR REPLACE MACRO from_iso8601_date(s) AS
     CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '\\d{4}-\\d{2}-\\d{2}') THEN TRY_CAST(CAST(s AS VARCHAR) AS DATE) END`,
  'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO cardinality(a) AS len(a)',
  'CREATE OR REPLACE MACRO day_of_week(d) AS isodow(d)',
  'CREATE OR REPLACE MACRO array_join(a, sep) AS array_to_string(a, sep)',
];
