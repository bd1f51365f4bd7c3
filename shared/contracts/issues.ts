import type * as z from 'zod';

/**
 * zod's issues as the places and messages a person fixes: `segments[2].rule.all[1].values: expected array`.
 *
 * A union that no branch matches is one "Invalid input" issue at the union, with every branch's issues inside it.
 * For a rule condition that points at `segments[0].rule` for a typo three levels down. So the branch the input
 * was evidently meant for (the one with the fewest mismatched keys at the union's own level) is followed, and its
 * issues reported instead; when two branches fit equally well the union's own issue stays.
 */
export interface ReadableIssue {
  readonly path: string;
  readonly message: string;
}

export function readableIssues(error: z.ZodError): ReadableIssue[] {
  return flatten(error.issues, []).map((issue) => ({ path: formatPath(issue.path) || '(root)', message: issue.message }));
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

type Issue = z.core.$ZodIssue;

function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = likelyBranch(issue.errors);
      if (branch) return flatten(branch, path);
      // A value of none of the union's types (a scalar union, or not even an object): name them all.
      const wrongType = issue.errors.flatMap((b) => b.filter((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (wrongType.length === issue.errors.length) {
        const types = [...new Set(wrongType.map((i) => (i as { expected: string }).expected))];
        const expected = types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types.join('');
        return [{ path, message: wrongType.every(isMissing) ? `missing (expected ${expected})` : `expected ${expected}` }];
      }
    }
    return [{ path, message: issue.message }];
  });
}

/** The one branch with the fewest mismatches at the union's own level, or null when that is not one branch. */
function likelyBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | null {
  const scored = branches.map((issues) => ({ issues, misses: issues.reduce((sum, issue) => sum + mismatches(issue), 0) }));
  const best = Math.min(...scored.map((s) => s.misses));
  const winners = scored.filter((s) => s.misses === best);
  return winners.length === 1 ? winners[0]!.issues : null;
}

/** How far an input is from a branch's shape: a wrong type at its root weighs most, then each stray or missing key. */
function mismatches(issue: Issue): number {
  if (issue.path.length === 0) {
    if (issue.code === 'invalid_type') return 100;
    if (issue.code === 'unrecognized_keys') return issue.keys.length;
    return 0;
  }
  if (issue.path.length === 1) {
    if (isMissing(issue)) return 1;
    // A discriminated union whose discriminator names no branch: the right shape, the wrong kind.
    if (issue.code === 'invalid_union' && issue.errors.length === 0) return 1;
  }
  return 0;
}

/** zod reports a missing key as a value of the wrong type, received undefined (its only trace without reportInput). */
function isMissing(issue: Issue): boolean {
  return issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
}
