import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../shared/cli/schemas.ts';
import { TOOL_VERSION } from '../../shared/version.ts';

describe('published JSON Schemas', () => {
  it('are up to date with the zod contracts (run `npm run schemas` after changing a contract)', async () => {
    const generated = jsonSchemas();
    const committed = (await readdir('schemas')).filter((f) => f.endsWith('.json')).sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [name, schema] of Object.entries(generated)) {
      expect(JSON.parse(await readFile(`schemas/${name}`, 'utf8')), name).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});

describe('the tool version in every provenance', () => {
  it('is the package version', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});
