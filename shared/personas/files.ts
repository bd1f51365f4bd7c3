import { readableIssues } from '../contracts/issues.ts';
import { Persona, type PersonaLanguage } from '../contracts/outputs.ts';
import { PublishError } from '../errors.ts';
import { personaMarkdown } from './markdown.ts';

/**
 * The per-persona files of a run, relative to `runs/<run_id>/`: `personas/<segment>.<lang>.json` (validated
 * against the published persona schema) and `personas/<segment>.<lang>.md`.
 */
export function personaFiles(
  byLanguage: Partial<Record<PersonaLanguage, readonly Persona[]>>,
): { key: string; body: string; contentType: string }[] {
  const files: { key: string; body: string; contentType: string }[] = [];
  for (const [language, personas] of Object.entries(byLanguage)) {
    for (const persona of personas ?? []) {
      const base = `personas/${encodeURIComponent(persona.segment.id)}.${language}`;
      const checked = Persona.safeParse(persona);
      if (!checked.success) {
        throw new PublishError(`${base}.json does not match its schema: ${readableIssues(checked.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`, { file: `${base}.json` });
      }
      files.push({ key: `${base}.json`, body: `${JSON.stringify(checked.data, null, 2)}\n`, contentType: 'application/json' });
      files.push({ key: `${base}.md`, body: personaMarkdown(checked.data), contentType: 'text/markdown; charset=utf-8' });
    }
  }
  return files;
}
