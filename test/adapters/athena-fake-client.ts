import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryExecutionCommandInput,
  type GetQueryResultsCommandInput,
  type QueryExecutionStatus,
  type ResultSet,
  type StartQueryExecutionCommandInput,
  type StopQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

/**
 * Athena as the engine sees it, behind aws-sdk-client-mock: StartQueryExecution honours ClientRequestToken (the same
 * token returns the same query), each query walks through a scripted list of statuses, one per GetQueryExecution,
 * the last one repeating.
 */
export type Status = QueryExecutionStatus & { State: NonNullable<QueryExecutionStatus['State']> };

export class FakeAthena {
  readonly mock: AwsClientStub<AthenaClient> = mockClient(AthenaClient);
  readonly client = new AthenaClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  /** Every StartQueryExecution call, including throttled ones. */
  readonly startCalls: StartQueryExecutionCommandInput[] = [];
  readonly describeCalls: string[] = [];
  readonly resultCalls: GetQueryResultsCommandInput[] = [];
  readonly stops: string[] = [];
  readonly sqlById = new Map<string, string>();
  readonly #statuses = new Map<string, Status[]>();
  readonly #byToken = new Map<string, string>();
  readonly #pages = new Map<string, ResultSet[]>();
  /** Errors thrown by the next calls, per operation. */
  readonly errors = { start: [] as Error[], describe: [] as Error[], results: [] as Error[] };
  /** Statuses a newly started query walks through. */
  plan: (sql: string, queryId: string) => Status[] = () => [{ State: 'RUNNING' }, { State: 'SUCCEEDED' }];
  statistics = { EngineExecutionTimeInMillis: 1200, DataScannedInBytes: 4096 };
  onStart?: (input: StartQueryExecutionCommandInput, queryId: string) => void;
  onDescribe?: (queryId: string) => void;
  #counter = 0;

  constructor() {
    this.mock.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
      this.startCalls.push(input);
      const error = this.errors.start.shift();
      if (error) throw error;
      const token = input.ClientRequestToken ?? `auto-${this.startCalls.length}`;
      const known = this.#byToken.get(token);
      if (known) return { QueryExecutionId: known };
      const queryId = `q${++this.#counter}`;
      this.#byToken.set(token, queryId);
      this.seed(queryId, input.QueryString ?? '', this.plan(input.QueryString ?? '', queryId));
      this.onStart?.(input, queryId);
      return { QueryExecutionId: queryId };
    });
    this.mock.on(GetQueryExecutionCommand).callsFake((input: GetQueryExecutionCommandInput) => {
      const queryId = input.QueryExecutionId ?? '';
      this.describeCalls.push(queryId);
      const error = this.errors.describe.shift();
      if (error) throw error;
      const statuses = this.#statuses.get(queryId);
      if (!statuses) throw new InvalidRequestException({ $metadata: {}, message: `QueryExecution ${queryId} was not found` });
      this.onDescribe?.(queryId);
      const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
      return {
        QueryExecution: {
          QueryExecutionId: queryId,
          Query: this.sqlById.get(queryId),
          StatementType: /^\s*(CREATE|DROP)/i.test(this.sqlById.get(queryId) ?? '') ? 'DDL' : 'DML',
          Status: status,
          ...(status.State === 'SUCCEEDED' ? { Statistics: this.statistics } : {}),
        },
      };
    });
    this.mock.on(StopQueryExecutionCommand).callsFake((input: StopQueryExecutionCommandInput) => {
      const queryId = input.QueryExecutionId ?? '';
      this.stops.push(queryId);
      this.#statuses.set(queryId, [{ State: 'CANCELLED', StateChangeReason: 'Query cancelled by user' }]);
      return {};
    });
    this.mock.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsCommandInput) => {
      this.resultCalls.push(input);
      const error = this.errors.results.shift();
      if (error) throw error;
      const pages = this.#pages.get(input.QueryExecutionId ?? '') ?? [{ ResultSetMetadata: { ColumnInfo: [] }, Rows: [] }];
      const index = input.NextToken ? Number(input.NextToken.replace('page-', '')) : 0;
      return { ResultSet: pages[index], ...(index + 1 < pages.length ? { NextToken: `page-${index + 1}` } : {}) };
    });
  }

  /** A query that exists before the engine runs (an earlier invocation's, e.g. one in the journal). */
  seed(queryId: string, sql: string, statuses: Status[]): void {
    this.sqlById.set(queryId, sql);
    this.#statuses.set(queryId, [...statuses]);
  }

  results(queryId: string, pages: ResultSet[]): void {
    this.#pages.set(queryId, pages);
  }

  /** The statements started (not the throttled calls), in order. */
  get started(): string[] {
    return [...this.sqlById.entries()].filter(([id]) => /^q\d+$/.test(id)).map(([, sql]) => sql);
  }

  restore(): void {
    this.mock.restore();
  }
}
