#!/usr/bin/env node
// CLI: runs the reference server on node:http. Settings by flag or environment (config.ts;
// docs/server-api.md §4 lists them): PORT, HOST, TAPGATE_PUBLIC_URL, TAPGATE_DATA_DIR, TAPGATE_DATABASE_URL, TAPGATE_ROOT_API_KEY,
// TAPGATE_KEY_FILE / TAPGATE_KEY, TAPGATE_KEY_OVERLAP_S, TAPGATE_WORKERS, Web Push, rate limits,
// shutdown grace, access log. One process (serve.ts), or with --workers N a primary
// (cluster-primary.ts) and N worker processes sharing the port.
import cluster from 'node:cluster';
import { WorkerLink } from './cluster';
import { runPrimary, WORKER_INDEX_ENV } from './cluster-primary';
import { ConfigError, loadConfig, type CliConfig } from './config';
import { fail, serve } from './serve';

async function main(): Promise<void> {
  let config: CliConfig;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (cluster.isWorker) return serve(config, { link: new WorkerLink(), index: Number(process.env[WORKER_INDEX_ENV] ?? 0) });
  if (config.workers > 1) return runPrimary(config);
  return serve(config);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
