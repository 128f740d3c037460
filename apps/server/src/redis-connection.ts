import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { ServerConfig } from './config.js';

/**
 * The node a `redis://` / `rediss://` URL names, and the options of a connection to it
 * (user, password, TLS for `rediss:`), for a Cluster seeded by that node. The URL's
 * database number is ignored: a Cluster has database 0 only.
 */
function clusterSeed(url: string): { node: { host: string; port: number }; options: RedisOptions } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { node: { host, port: u.port ? Number(u.port) : 6379 }, options };
}

/**
 * A connection to the server's Redis with `options`: a `Redis` on `REDIS_URL`, or with
 * `REDIS_CLUSTER` a `Cluster` seeded by the node `REDIS_URL` names (the other nodes are
 * found from it; `cluster` are the Cluster's own options).
 */
export function redisClient(
  config: Pick<ServerConfig, 'redisUrl' | 'redisCluster'>,
  options: RedisOptions = {},
  cluster: Omit<ClusterOptions, 'redisOptions'> = {},
): Redis | Cluster {
  if (!config.redisCluster) return new Redis(config.redisUrl, options);
  const seed = clusterSeed(config.redisUrl);
  return new Cluster([seed.node], { ...cluster, redisOptions: { ...seed.options, ...options } });
}
