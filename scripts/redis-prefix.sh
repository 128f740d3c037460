# Sourced by scripts/check-install.sh and scripts/check-deploy.sh (not run by itself).
#
#   delete_redis_prefix DIR PREFIX
#
# Deletes every key under PREFIX: at REDIS_URL (SCAN + DEL; the Redis server may be shared,
# so nothing is flushed), with the ioredis that the npm project in DIR installed (the check
# scripts see only what they installed, never the workspace's). Returns non-zero when Redis
# could not be reached or a command failed; the caller says what that means for it.
delete_redis_prefix() {
  (cd "$1" && SPANE_PREFIX="$2" node --input-type=module -e "
import { Redis } from 'ioredis';
const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', process.env.SPANE_PREFIX + ':*', 'COUNT', 500);
  cursor = next;
  if (keys.length > 0) await redis.del(...keys);
} while (cursor !== '0');
await redis.quit();
")
}
