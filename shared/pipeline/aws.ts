import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RefreshEnvironment } from '../contracts/lambda.ts';
import { AthenaQueryEngine } from '../engines/athena.ts';
import { objectStoreJournal } from '../engines/query-journal.ts';
import type { Logger } from '../logging.ts';
import { S3LeaseStore } from '../stores/lease-s3.ts';
import { S3ObjectStore } from '../stores/s3.ts';
import { getText } from '../stores/object-store.ts';
import type { NightlyRuntime } from './nightly.ts';

/** SDK clients outlive invocations: one per cold start keeps connections warm across nightly retries. */
export interface AwsClients {
  readonly athena: AthenaClient;
  readonly s3: S3Client;
}

/** Attempts per S3 call (first + retries); test/adapters/transient-errors.test.ts publishes a whole run through ~30 % injected faults. */
export const S3_MAX_ATTEMPTS = 8;

/**
 * The S3 client's retry settings: S3 answers 500 InternalError / 503 SlowDown now and then, more under load, and the
 * store relies on the SDK's standard retry (exponential back-off with jitter, retry quota) with more attempts than
 * its default 3. Exported so tests build their clients with exactly these settings.
 */
export const S3_CLIENT_OPTIONS = { maxAttempts: S3_MAX_ATTEMPTS, retryMode: 'standard' } as const satisfies S3ClientConfig;

export function createAwsClients(): AwsClients {
  return {
    // The Athena adapter owns retries (it knows which calls are safe to repeat and for how long): one SDK attempt.
    athena: new AthenaClient({ maxAttempts: 1 }),
    s3: new S3Client({ ...S3_CLIENT_OPTIONS }),
  };
}

/** The production composition: Athena over the Glue lake tables, results and working tables in S3. */
export function awsRuntime(env: RefreshEnvironment, clients: AwsClients, log: Logger, toolVersion: string): NightlyRuntime {
  const results = new S3ObjectStore({ client: clients.s3, bucket: env.RESULTS_BUCKET, prefix: env.RESULTS_PREFIX });
  const lake = new S3ObjectStore({ client: clients.s3, bucket: env.LAKE_BUCKET, prefix: env.LAKE_PREFIX });
  return {
    results,
    lease: new S3LeaseStore({ client: clients.s3, bucket: env.RESULTS_BUCKET, prefix: env.RESULTS_PREFIX }),
    holder: `lambda:${process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? process.pid}`,
    clock: () => new Date(),
    log,
    toolVersion,
    async readConfig(bucket, key) {
      return getText(new S3ObjectStore({ client: clients.s3, bucket }), key);
    },
    async engineFor({ runId, journalKey, deadlineAt }) {
      return new AthenaQueryEngine({
        client: clients.athena,
        workGroup: env.ATHENA_WORKGROUP,
        database: env.GLUE_DATABASE,
        runId,
        lake: { store: lake, root: `s3://${env.LAKE_BUCKET}/${env.LAKE_PREFIX}`, formats: env.LAKE_FORMATS, partitioned: env.LAKE_PARTITIONED_TABLES },
        scratch: new S3ObjectStore({ client: clients.s3, bucket: env.RESULTS_BUCKET, prefix: `${env.RESULTS_PREFIX}${env.WORK_PREFIX}${runId}/` }),
        journal: objectStoreJournal(results, journalKey),
        deadlineAt,
        maxConcurrentQueries: env.MAX_CONCURRENT_QUERIES,
        log: log.child({ run_id: runId }),
      });
    },
  };
}
