import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Every temporary folder a test run makes — the tests' lakes and outputs, the engine's spill and unload scratch,
 * s3rver's buckets, Chromium's profile — goes under one root that is removed when the run ends, so repeated runs
 * do not fill the machine's temp folder. Workers start after this and inherit TMPDIR, which os.tmpdir() reads.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'segments-test-'));
  process.env.TMPDIR = root;
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}
