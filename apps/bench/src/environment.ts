import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { Redis } from 'ioredis';

/** Versions and machine a run was measured on (for RESULTS.md). */
export interface Environment {
  date: string;
  node: string;
  bullmq: string;
  redis: string;
  postgres: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load averages at the start and at the end of the run (other work skews figures). */
  loadStart: number;
  loadEnd: number;
}

export async function collectEnvironment(
  redisUrl: string,
  postgresVersion: string | undefined,
  loadStart: number,
): Promise<Environment> {
  const require = createRequire(import.meta.url);
  const bullmq = (require('bullmq/package.json') as { version: string }).version;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let redisVersion = 'unknown';
  try {
    const info = await redis.info('server');
    redisVersion = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    bullmq,
    redis: redisVersion,
    postgres: postgresVersion ?? 'not measured',
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadStart: Math.round(loadStart * 100) / 100,
    loadEnd: Math.round(loadavg()[0]! * 100) / 100,
  };
}
