import { REJECT_REASONS, type RejectReason, type TableName } from '../contracts/lake.ts';
import type { FileFormat, GenContext } from './context.ts';
import { pickIndex, type Sql } from './random.ts';

/**
 * Deliberately broken rows. Each bad row carries exactly one defect, labelled with the REJECT_REASONS value the
 * pipeline's staging step must give it, so generator.json can state exact expected quarantine counts.
 * The code stored in compact tables is the reason's index in REJECT_REASONS.
 */

const PLANTED: Record<TableName, readonly RejectReason[]> = {
  orders: ['missing_customer_id', 'missing_order_id', 'bad_timestamp', 'non_numeric_amount', 'unknown_channel'],
  customers: ['unknown_gender', 'bad_birth_year'],
  events: ['unknown_event_type', 'missing_customer_id', 'bad_timestamp'],
};

/** Reasons that can be planted for a table in a format: Parquet's DOUBLE amount cannot hold '12,50 EUR'. */
export function plantedReasons(table: TableName, format: FileFormat): RejectReason[] {
  return PLANTED[table].filter((r) => !(r === 'non_numeric_amount' && format === 'parquet'));
}

export function reasonCode(reason: RejectReason): number {
  return REJECT_REASONS.indexOf(reason);
}

/** Reason code for a row (NULL = good row); `keys` must identify the row uniquely. */
export function badReasonSql(ctx: GenContext, table: TableName, keys: Sql[]): Sql {
  const reasons = plantedReasons(table, ctx.formats[table]);
  if (ctx.badRowShare <= 0) return 'CAST(NULL AS TINYINT)';
  const codes = reasons.map(reasonCode);
  const which = pickIndex(ctx.rnd.u('bad_reason', ...keys), reasons.map(() => 1));
  return `(CASE WHEN ${ctx.rnd.u('bad', ...keys)} < ${ctx.badRowShare}
    THEN CAST([${codes.join(', ')}][${which} + 1] AS TINYINT) END)`;
}

/** `<bad column> = code of reason`, for CASE arms. */
export function isReason(column: Sql, reason: RejectReason): Sql {
  return `${column} = ${reasonCode(reason)}`;
}

/** A missing required id as exports produce it: NULL, empty, or blanks (the contract trims before checking). */
export function missingIdSql(u: Sql): Sql {
  return `(CASE ${pickIndex(u, [2, 2, 1])} WHEN 0 THEN NULL WHEN 1 THEN '' ELSE '   ' END)`;
}

/** Timestamps in local-export formats that the ISO-8601 pattern rejects, e.g. '31/12/2025 10:00'. */
export function badTimestampSql(ts: Sql, u: Sql): Sql {
  const formats = ['%d/%m/%Y %H:%M', '%Y/%m/%d %H:%M:%S', '%d.%m.%Y', '%b %d %Y %I:%M %p'];
  return `(CASE ${pickIndex(u, formats.map(() => 1))} ${formats.map((f, i) => `WHEN ${i} THEN strftime(${ts}, '${f}')`).join(' ')} END)`;
}
