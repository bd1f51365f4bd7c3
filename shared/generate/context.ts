import type { TableName } from '../contracts/lake.ts';
import type { Calendar } from './calendar.ts';
import type { Random } from './random.ts';

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

/** Everything the per-table SQL builders need; built once per run by generate-lake.ts. */
export interface GenContext {
  readonly rnd: Random;
  readonly cal: Calendar;
  readonly customers: number;
  readonly badRowShare: number;
  readonly formats: Readonly<Record<TableName, FileFormat>>;
  /** Digits in customer ids (`c` + zero-padded number); at least 7 so small and large lakes look alike. */
  readonly idDigits: number;
}

/** Customer id SQL from the customer number column. */
export function customerIdSql(ctx: GenContext, num: string): string {
  return `('c' || lpad(CAST(${num} AS VARCHAR), ${ctx.idDigits}, '0'))`;
}
