import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/index.js';
import { deletePrefix } from './processes.js';

/** Redis of the tests (the shared one; every config gets a fresh prefix). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Configs for servers of one test file: port 0, a fresh Redis prefix each (deleted after
 * the file's tests), `key` as the admin key of tenant `default`, then `defaults` and each
 * call's own environment on top.
 */
export function serverConfigs(
  name: string,
  key: string,
  defaults: Record<string, string> = {},
): (env?: Record<string, string>) => ServerConfig {
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
  });
  return (env = {}) => {
    const prefix = `spane-${name}-test-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    return loadConfig({
      PORT: '0',
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      SPANE_API_KEYS: `${key}:default:admin`,
      ...defaults,
      ...env,
    });
  };
}
