import type { Sql } from './random.ts';

/**
 * Harmless mess that real exports contain and the contract tolerates: enum values in other cases or with
 * padding (matched case-insensitively after trimming) and empty strings in optional fields. Applied only to
 * good rows, so a bad row still has exactly one defect.
 */

/** Rate at which an enum value is written in a different case / padded. */
const MIXED_CASE_RATE = 0.03;
/** Rate at which an optional field is written as an empty string. */
const BLANK_RATE = 0.01;

/** `value` as 'Web' / ' WEB ' / 'web'. A flat CASE: nested pick CASEs cost ~4× more per row at this volume. */
export function messyEnum(value: Sql, u: Sql): Sql {
  return `(CASE WHEN ${u} < ${MIXED_CASE_RATE * 0.6} THEN upper((${value})[1]) || (${value})[2:]
    WHEN ${u} < ${MIXED_CASE_RATE} THEN ' ' || upper(${value}) || ' '
    ELSE ${value} END)`;
}

/** `value`, or now and then an empty string (which means "unknown", like NULL). */
export function sometimesBlank(value: Sql, u: Sql, rate = BLANK_RATE): Sql {
  return `(CASE WHEN ${u} < ${rate} THEN '' ELSE ${value} END)`;
}

/** How a missing optional value is written: NULL or an empty string, both mean "unknown". */
export function missingValue(u: Sql): Sql {
  return `(CASE WHEN ${u} < 0.5 THEN NULL ELSE '' END)`;
}
