import * as z from 'zod';
import { SegmentsConfig } from '../contracts/config.ts';
import { TABLES } from '../contracts/lake.ts';
import { OUTPUT_SCHEMAS } from '../contracts/outputs.ts';

/** Every published JSON Schema, by file name. Generated from the zod contracts; `schemas/` holds the result. */
export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [table, spec] of Object.entries(TABLES)) {
    out[`input-${table}.schema.json`] = { ...z.toJSONSchema(spec.schema, { io: 'input' }), title: `${table} row`, examples: [spec.example] };
  }
  out['segments-config.schema.json'] = { ...z.toJSONSchema(SegmentsConfig, { io: 'input' }), title: 'segments.config.json' };
  for (const [name, schema] of Object.entries(OUTPUT_SCHEMAS)) {
    out[`output-${name}.schema.json`] = { ...z.toJSONSchema(schema, { io: 'output' }), title: `${name}.json` };
  }
  return out;
}

export async function writeJsonSchemas(write: (name: string, text: string) => Promise<void>): Promise<string[]> {
  const schemas = jsonSchemas();
  for (const [name, schema] of Object.entries(schemas)) await write(name, `${JSON.stringify(schema, null, 2)}\n`);
  return Object.keys(schemas);
}
