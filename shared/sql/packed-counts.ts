import { sqlString } from './literals.ts';

/**
 * Many per-customer counts as half as many sums. Events are counted per type, device, OS and browser: 32 counts
 * per customer. As 32 count_if aggregates, the million-customer hash table outgrew the buffer and the events stage
 * took 12.3 s at 1M customers (6.5 s with twice the buffer); packed two to a sum it takes 7.8 s.
 *
 * Each count owns a 26-bit slot of a DOUBLE sum: a row adds 1 or 2^26 for each count it belongs to. Every partial
 * sum is an integer below 2^53 while the customer has fewer than 2^26 rows, so it is exact in both engines in any
 * order, and floor() reads the slots back exactly. DOUBLE rather than BIGINT because DuckDB sums BIGINT into a
 * 128-bit state: twice the width, and the stage was as slow as with count_if. (DECIMAL(38, 0) with four slots was
 * slower still.) A customer with 2^26 rows or more (67 million events in the window: a shared or robot id)
 * would overflow a slot; `fits` tells the caller, which quarantines that customer's rows.
 */
export type Counter =
  | { readonly name: string; readonly column: string; readonly equals: string }
  | { readonly name: string; readonly column: string; readonly notNull: true };

const SLOT_BITS = 26;
const ONE = 'CAST(1 AS double)';
const ZERO = 'CAST(0 AS double)';

/**
 * A row's contribution to one sum. The `equals` counts of a column exclude each other, so they share one CASE;
 * a `notNull` count overlaps them and gets its own.
 */
function rowValueSql(pair: readonly Counter[], slotSql: string): string {
  const unit = (slot: number) => (slot === 0 ? ONE : slotSql);
  const terms: string[] = [];
  for (const column of new Set(pair.map((c) => c.column))) {
    const equals = pair.flatMap((c, slot) =>
      c.column === column && 'equals' in c ? [`WHEN ${column} = ${sqlString(c.equals)} THEN ${unit(slot)}`] : [],
    );
    if (equals.length > 0) terms.push(`CASE ${equals.join(' ')} ELSE ${ZERO} END`);
    pair.forEach((c, slot) => {
      if (c.column === column && 'notNull' in c) terms.push(`CASE WHEN ${column} IS NOT NULL THEN ${unit(slot)} ELSE ${ZERO} END`);
    });
  }
  return terms.join(' + ');
}

export interface PackedCounts {
  /** Aggregate name → sum expression, for the grouping query. */
  sums: Record<string, string>;
  /** Count name → INTEGER expression over the grouped row's sums; NULL when they do not fit. */
  counts: Record<string, string>;
  /** True when the counts fit their slots: the group has fewer than 2^26 rows. */
  fits: string;
}

/** `slotBits` is for tests, which cannot stage 2^26 rows to see a slot overflow. */
export function packedCounts(counters: readonly Counter[], rowsCount: string, slotBits = SLOT_BITS): PackedCounts {
  const slot = 2 ** slotBits;
  const slotSql = `CAST(${slot} AS double)`;
  const fits = `${rowsCount} < ${slot}`;
  const sums: Record<string, string> = {};
  const counts: Record<string, string> = {};
  for (let i = 0; i < counters.length; i += 2) {
    const pair = counters.slice(i, i + 2);
    const sum = `packed_${i / 2}`;
    sums[sum] = `sum(${rowValueSql(pair, slotSql)})`;
    const high = `floor(CAST(${sum} AS double) / ${slotSql})`;
    const read = (value: string) => `CAST(CASE WHEN ${fits} THEN ${value} END AS integer)`;
    counts[pair[0]!.name] = read(pair.length === 1 ? sum : `${sum} - ${high} * ${slotSql}`);
    if (pair[1]) counts[pair[1].name] = read(high);
  }
  return { sums, counts, fits };
}
