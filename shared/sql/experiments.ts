import { sqlString } from './literals.ts';

/** Number of experiment buckets: `experiment_bucket` is 0–99, so "bucket < 10" is a 10 % holdout. */
export const EXPERIMENT_BUCKETS = 100;

/**
 * A customer's stable experiment bucket: the first 4 bytes of md5(salt || customer_id) (UTF-8) read as an unsigned
 * big-endian number, modulo 100. The same customer and salt give the same bucket in every run, on Athena and on
 * DuckDB (whose compat macros give to_utf8, md5, from_base Trino's meaning); a new salt reshuffles everyone.
 * 2^32 is not a multiple of 100, but the bias (buckets 0–95 get one value more out of ~43 million) is negligible.
 */
export function experimentBucketSql(customerId: string, salt: string): string {
  return `CAST(from_base(substr(to_hex(md5(to_utf8(concat(${sqlString(salt)}, ${customerId})))), 1, 8), 16) % ${EXPERIMENT_BUCKETS} AS integer)`;
}
