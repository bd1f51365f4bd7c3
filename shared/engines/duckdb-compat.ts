/**
 * The compatibility layer: the few Trino functions the shared SQL uses that DuckDB lacks, as DuckDB macros.
 * It lives on the DuckDB side only; Athena receives the SQL unchanged. Each macro keeps Trino's meaning, not
 * just its name, and test/adapters/engine-semantics.test.ts pins the meaning.
 *
 * - from_iso8601_timestamp: Trino accepts only ISO-8601 (a 'T' separator or a bare date, optional offset) and
 *   raises otherwise; DuckDB's cast also accepts '2024-01-01 10:00' and '2024-01-01 10:00:00+02'. The macro returns
 *   NULL unless the text is a bare date or has the 'T' separator, so `try(from_iso8601_timestamp(x))` — the only
 *   form the shared SQL uses — rejects what Trino rejects. (A position check, not a regular expression: on tens of
 *   millions of rows the regex cost more than the parse. DuckDB's try() refuses volatile functions such as error(),
 *   hence NULL instead of raising.)
 * - timezone (what `x AT TIME ZONE 'UTC'` calls): the shared SQL only ever converts to UTC, and sessions run in
 *   UTC. DuckDB's ICU implementation is general and ~5× slower than reading the UTC instant directly, which is all
 *   that conversion needs. Any other zone yields NULL, and a test asserts no statement asks for one.
 * - from_iso8601_date: likewise for plain YYYY-MM-DD dates.
 * - regexp_like: DuckDB calls it regexp_matches (same partial-match semantics).
 * - cardinality: Trino's array length; DuckDB's cardinality only takes maps.
 * - day_of_week: Trino's ISO day (Monday = 1); DuckDB's dayofweek counts from Sunday = 0, isodow matches Trino.
 * - array_join: DuckDB's array_to_string.
 * - to_utf8, md5, from_base (the experiment bucket, sql/experiments.ts): Trino's md5 takes and returns varbinary
 *   and to_hex gives upper-case hex; DuckDB's md5 returns lower-case hex text. to_utf8 is DuckDB's encode (text →
 *   UTF-8 BLOB); md5 is shadowed to return the 16-byte digest as a BLOB (unhex of the builtin, called by its
 *   qualified name), so DuckDB's own to_hex(BLOB) gives Trino's upper-case hex. from_base covers what the shared
 *   SQL uses: radix 16, an optional '-', at most 15 digits (always within bigint); anything else is NULL where Trino
 *   would raise (no statement relies on the error).
 */
export const DUCKDB_COMPAT_MACROS: readonly string[] = [
  `CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS
     CASE WHEN length(s) = 10 OR substr(s, 11, 1) = 'T' THEN TRY_CAST(s AS TIMESTAMPTZ) END`,
  `CREATE OR REPLACE MACRO timezone(zone, ts) AS
     CASE WHEN zone IN ('UTC', 'Etc/UTC') THEN make_timestamp(epoch_us(ts)) END`,
  `CREATE OR REPLACE MACRO from_iso8601_date(s) AS
     CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '\\d{4}-\\d{2}-\\d{2}') THEN TRY_CAST(CAST(s AS VARCHAR) AS DATE) END`,
  'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO cardinality(a) AS len(a)',
  'CREATE OR REPLACE MACRO day_of_week(d) AS isodow(d)',
  'CREATE OR REPLACE MACRO array_join(a, sep) AS array_to_string(a, sep)',
  'CREATE OR REPLACE MACRO to_utf8(s) AS encode(CAST(s AS VARCHAR))',
  'CREATE OR REPLACE MACRO md5(b) AS unhex(system.main.md5(b))',
  `CREATE OR REPLACE MACRO from_base(s, radix) AS
     CASE WHEN radix = 16 AND regexp_full_match(CAST(s AS VARCHAR), '-?[0-9A-Fa-f]{1,15}')
       THEN CASE WHEN starts_with(CAST(s AS VARCHAR), '-') THEN -CAST(concat('0x', substr(CAST(s AS VARCHAR), 2)) AS BIGINT)
                 ELSE CAST(concat('0x', CAST(s AS VARCHAR)) AS BIGINT) END END`,
];
