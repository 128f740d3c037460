import { InvalidArgumentError } from '@spane/core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

/**
 * The default prefix over a Redis Cluster: `{spane}`, a hash tag, so that every key of the
 * engine and of its BullMQ queues falls in the one hash slot of `spane`.
 */
export const DEFAULT_CLUSTER_PREFIX = '{spane}';

/** Whether `client` is an ioredis `Cluster` (told by its `isCluster` flag, as BullMQ does). */
export function isClusterClient(client: unknown): client is Cluster {
  return (
    typeof client === 'object' &&
    client !== null &&
    (client as { isCluster?: unknown }).isCluster === true
  );
}

/**
 * The hash tag of a key that starts with `prefix` whatever follows it, as Redis Cluster
 * reads one: the text between the first `{` and the first `}` after it, when not empty.
 * Undefined when the prefix holds no complete tag (the slot of such keys then depends on
 * the rest of the key).
 */
export function prefixHashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open < 0) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return prefix.slice(open + 1, close);
}

/**
 * The engine's prefix for a connection: `given`, or `'spane'` (`{spane}` over a Cluster).
 * @throws InvalidArgumentError for a prefix that is not a non-empty string, or, over a
 * Cluster, one without a hash tag: its keys would spread over slots, and BullMQ's and
 * SPANE's scripts, which touch several keys at once, would fail with `CROSSSLOT`.
 */
export function enginePrefix(given: string | undefined, cluster: boolean): string {
  if (given === undefined) return cluster ? DEFAULT_CLUSTER_PREFIX : 'spane';
  if (typeof given !== 'string' || given.length === 0) {
    throw new InvalidArgumentError('prefix must be a non-empty string');
  }
  if (cluster && prefixHashTag(given) === undefined) {
    throw new InvalidArgumentError(
      `prefix '${given}' has no hash tag: over a Redis Cluster every key of the engine must be in one slot; use e.g. '{${given}}'`,
      { prefix: given },
    );
  }
  return given;
}

/**
 * A new connection like `client` (a `Redis` or a `Cluster`) with `overrides` on its Redis
 * options: a Cluster takes them as its nodes' `redisOptions` (its `duplicate` takes
 * startup nodes first and cluster options second, which it merges shallowly).
 */
export function duplicateClient<C extends Redis>(client: C, overrides: RedisOptions): C {
  if (!isClusterClient(client)) return client.duplicate(overrides) as C;
  const cluster = client as Cluster;
  const redisOptions = { ...cluster.options.redisOptions, ...overrides };
  return cluster.duplicate([], { redisOptions }) as unknown as C;
}
