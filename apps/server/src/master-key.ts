import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ExecutionStore, type MasterKey, parseMasterKeys, SecretVault } from '@spane/core';
import type { FastifyBaseLogger } from 'fastify';

/** Where the key file is made when no master key is configured and the store keeps data. */
export const DEFAULT_MASTER_KEY_FILE = '.spane/master.key';

/**
 * Where the master keys of secrets come from (`SPANE_MASTER_KEY*`, see the README):
 * - `env`: `SPANE_MASTER_KEY`, or the file of `SPANE_MASTER_KEY_FILE`, read and checked
 *   when the configuration is loaded;
 * - `generated`: neither is set and the store is PostgreSQL: the key file at `path` (by
 *   default `.spane/master.key` in the working directory), made at the first start (mode
 *   0600) and read at the next ones;
 * - `ephemeral`: neither is set and the store is the memory store: a random key for this
 *   process, which is enough since the secrets it encrypts are lost on exit with the store.
 */
export type MasterKeyConfig =
  | { source: 'env'; from: 'SPANE_MASTER_KEY' | 'SPANE_MASTER_KEY_FILE'; keys: MasterKey[] }
  | { source: 'generated'; path: string }
  | { source: 'ephemeral' };

/** Reads `SPANE_MASTER_KEY` / `SPANE_MASTER_KEY_FILE`, adding what is wrong to `problems`. */
export function masterKeyConfig(
  get: (name: string) => string | undefined,
  problems: string[],
  cwd: string,
  persistentStore: boolean,
): MasterKeyConfig {
  const inline = get('SPANE_MASTER_KEY');
  const file = get('SPANE_MASTER_KEY_FILE');
  if (inline !== undefined && file !== undefined) {
    problems.push('set SPANE_MASTER_KEY or SPANE_MASTER_KEY_FILE, not both');
    return { source: 'ephemeral' };
  }
  if (inline !== undefined) return parsed('SPANE_MASTER_KEY', inline, problems);
  if (file !== undefined) {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      problems.push(
        `SPANE_MASTER_KEY_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
      return { source: 'ephemeral' };
    }
    return parsed('SPANE_MASTER_KEY_FILE', text, problems);
  }
  return persistentStore
    ? { source: 'generated', path: resolve(cwd, DEFAULT_MASTER_KEY_FILE) }
    : { source: 'ephemeral' };
}

function parsed(
  from: 'SPANE_MASTER_KEY' | 'SPANE_MASTER_KEY_FILE',
  text: string,
  problems: string[],
): MasterKeyConfig {
  try {
    return { source: 'env', from, keys: parseMasterKeys(text.replace(/\s+/g, ',')) };
  } catch (err) {
    // The message names the entry by position, never the key.
    problems.push(`${from}: ${(err as Error).message}`);
    return { source: 'ephemeral' };
  }
}

/**
 * The master key file at `path`: read when it exists, else created with a random key
 * (directory 0700, file 0600). The key is written to a file of its own first and then
 * linked to `path`, which fails when `path` exists: of two processes starting at once, the
 * second reads the first one's key, never a half-written file. `created` tells which.
 * @throws Error when it cannot be read, created or parsed (the message names the path)
 */
export function readOrCreateKeyFile(path: string): { keys: MasterKey[]; created: boolean } {
  let created = false;
  if (!existsSync(path)) created = createKeyFile(path);
  try {
    const text = readFileSync(path, 'utf8');
    return { keys: parseMasterKeys(text.replace(/\s+/g, ',')), created };
  } catch (err) {
    throw new Error(`master key file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates the key file at `path` unless it appeared meanwhile; true when this call made it. */
function createKeyFile(path: string): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(draft, `v1:${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    linkSync(draft, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(
      `cannot create the master key file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set SPANE_MASTER_KEY or SPANE_MASTER_KEY_FILE`,
      { cause: err },
    );
  } finally {
    rmSync(draft, { force: true });
  }
}

/** The master keys of `config`, announcing where they come from in one log line. */
export function resolveMasterKeys(config: MasterKeyConfig, log: FastifyBaseLogger): MasterKey[] {
  switch (config.source) {
    case 'env':
      log.info(
        { from: config.from, current: config.keys[0]!.id, keys: config.keys.length },
        'secrets: master key from the environment',
      );
      return config.keys;
    case 'ephemeral':
      log.info('secrets: random master key for this process (memory store: secrets end with it)');
      return [{ id: 'ephemeral', key: randomBytes(32) }];
    case 'generated': {
      const { keys, created } = readOrCreateKeyFile(config.path);
      if (created) {
        log.warn(
          { path: config.path },
          'secrets: generated a master key file (mode 0600); back it up, or set SPANE_MASTER_KEY: stored secrets cannot be read without it',
        );
      } else {
        const mode = statSync(config.path).mode & 0o777;
        log.info(
          { path: config.path, mode: mode.toString(8) },
          'secrets: master key from the key file',
        );
        if ((mode & 0o077) !== 0) {
          log.warn(
            { path: config.path },
            'secrets: the master key file is readable by others: chmod 600 it',
          );
        }
      }
      return keys;
    }
  }
}

/**
 * The secret vault over the store's secrets, or undefined when the store keeps none. With
 * more than one master key, data keys wrapped by an older one are re-wrapped by the
 * current one in the background (other processes keep reading meanwhile); the result,
 * or the failure, is logged. The returned promise of that rotation never rejects.
 */
export function createSecretVault(
  store: ExecutionStore,
  masterKeys: MasterKey[],
  log: FastifyBaseLogger,
): { vault: SecretVault | undefined; rotation: Promise<void> } {
  if (!store.secrets) {
    log.warn('secrets: this store keeps no secrets; /api/secrets answers 409 SECRETS_DISABLED');
    return { vault: undefined, rotation: Promise.resolve() };
  }
  const vault = new SecretVault(store.secrets, { masterKeys });
  if (masterKeys.length < 2) return { vault, rotation: Promise.resolve() };
  const rotation = vault.rotate().then(
    ({ rewrapped }) => {
      log.info(
        { rewrapped, current: vault.currentMasterKeyId },
        'secrets: master key rotation done; remove the old keys once every process runs with the new one first',
      );
    },
    (err: unknown) => {
      log.error(
        { err },
        'secrets: master key rotation failed; the old keys still work, restart to retry',
      );
    },
  );
  return { vault, rotation };
}
