// The server's Prometheus metrics (prom-client), served at GET /metrics to a bearer token
// (metrics-endpoint.ts). A registry per server instance, not prom-client's global one: several
// servers in one process (a host's, a test's) keep their own counts. Made only when the endpoint
// is configured; without it nothing is counted and the hooks are absent (`metrics?.…`).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type * as http from 'node:http';
import type { PushOutcome } from './push';
import type { SqlDriver, SqlValue } from './sql/driver';

/** What the device API counts (device-api.ts), each once its transaction has committed. */
export interface DeviceMetrics {
  /** A /v1/login or /v1/enrol answered: the result it carries (`success`, `pin_fail`, …) or why it was refused. */
  outcome(kind: 'login' | 'enrol', outcome: string): void;
  /** A wrong PIN counted on an account; `blocked` when it reached the attempt limit. */
  pinFailure(blocked: boolean): void;
}


// Seconds. Requests: prom-client's defaults (5 ms … 10 s); queries: 0.1 ms … 1 s.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** A statement's kind for the `statement` label: its first keyword (never its text or values). */
function statementKind(sql: string): string {
  const word = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  return ['select', 'insert', 'update', 'delete', 'with'].includes(word) ? word : 'other';
}

export class ServerMetrics implements DeviceMetrics {
  readonly registry = new Registry();
  readonly #logins: Counter<'outcome'>;
  readonly #enrolments: Counter<'outcome'>;
  readonly #pinFailures: Counter;
  readonly #pinBlocks: Counter;
  readonly #requests: Histogram<'route' | 'method' | 'status'>;
  readonly #pushes: Counter<'sender' | 'outcome'>;
  readonly #queries: Histogram<'statement'>;

  /** `openStreams`: read at each scrape (the status channel's count). */
  constructor(openStreams: () => number) {
    const registers = [this.registry];
    this.#logins = new Counter({ name: 'tapgate_logins_total', help: 'Device logins (/device/v1/login) by outcome', labelNames: ['outcome'], registers });
    this.#enrolments = new Counter({ name: 'tapgate_enrolments_total', help: 'Device enrolments (/device/v1/enrol) by outcome', labelNames: ['outcome'], registers });
    this.#pinFailures = new Counter({ name: 'tapgate_pin_failures_total', help: 'Wrong PINs counted on accounts (login, PIN check, factor change, enrolment check)', registers });
    this.#pinBlocks = new Counter({ name: 'tapgate_pin_blocks_total', help: 'Accounts whose PIN became blocked (wrong PINs reached the attempt limit)', registers });
    this.#requests = new Histogram({
      name: 'tapgate_http_request_duration_seconds',
      help: 'Requests the server answered, by route pattern, method and status (aborted: the client went away first)',
      labelNames: ['route', 'method', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.#pushes = new Counter({ name: 'tapgate_push_deliveries_total', help: 'Pushes by sender and outcome', labelNames: ['sender', 'outcome'], registers });
    new Gauge({
      name: 'tapgate_status_streams_open',
      help: 'Open status-channel streams (GET /servers/{sid}/sessions/events) of this instance',
      registers,
      collect() {
        this.set(openStreams());
      },
    });
    this.#queries = new Histogram({
      name: 'tapgate_db_query_duration_seconds',
      help: 'Database statements of the store, by kind (select, insert, update, delete, with, other)',
      labelNames: ['statement'],
      buckets: DB_BUCKETS,
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  outcome(kind: 'login' | 'enrol', outcome: string): void {
    (kind === 'login' ? this.#logins : this.#enrolments).inc({ outcome });
  }

  pinFailure(blocked: boolean): void {
    this.#pinFailures.inc();
    if (blocked) this.#pinBlocks.inc();
  }

  pushDelivery(sender: string, outcome: PushOutcome): void {
    this.#pushes.inc({ sender, outcome });
  }

  /** Times a request from now until its response is finished (or the connection closed first). */
  timeRequest(req: http.IncomingMessage, res: http.ServerResponse, route: string): void {
    const end = this.#requests.startTimer();
    const method = req.method === 'HEAD' ? 'GET' : /^[A-Z]{1,10}$/.test(req.method ?? '') ? req.method! : 'other';
    res.once('close', () => end({ route, method, status: res.writableFinished ? String(res.statusCode) : 'aborted' }));
  }

  /** `driver` with each statement timed (transactions, hooks and NOTIFY pass through). */
  timedDriver(driver: SqlDriver): SqlDriver {
    const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
      const end = this.#queries.startTimer({ statement: statementKind(sql) });
      try {
        return await run();
      } finally {
        end();
      }
    };
    const d: SqlDriver = {
      dialect: driver.dialect,
      all: <T>(sql: string, params?: readonly SqlValue[]) => timed(sql, () => driver.all<T>(sql, params)),
      get: <T>(sql: string, params?: readonly SqlValue[]) => timed(sql, () => driver.get<T>(sql, params)),
      run: (sql, params) => timed(sql, () => driver.run(sql, params)),
      transaction: (work) => driver.transaction(work),
      afterCommit: (fn) => driver.afterCommit(fn),
      afterEnd: (fn) => driver.afterEnd(fn),
      transactionLocals: () => driver.transactionLocals(),
      durable: () => driver.durable(),
      close: () => driver.close(),
    };
    if (driver.notify) d.notify = driver.notify.bind(driver);
    if (driver.listen) d.listen = driver.listen.bind(driver);
    return d;
  }
}
