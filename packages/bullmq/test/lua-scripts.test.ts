import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { MODULE_PATH, renderLuaModule } from '../scripts/embed-lua.mjs';
import * as scripts from '../src/lua-scripts.js';
import { RedisScript } from '../src/redis-script.js';
import { REDIS_URL } from './support/engine-harness.js';

describe('Lua scripts', () => {
  it('src/lua-scripts.ts embeds src/lua/*.lua as they are (run `pnpm embed-lua` after an edit)', () => {
    expect(readFileSync(MODULE_PATH as string, 'utf8')).toBe((renderLuaModule as () => string)());
    expect(Object.keys(scripts).sort()).toEqual([
      'acquireSlot',
      'beatWorker',
      'breakerAdmit',
      'breakerRecord',
      'fairTags',
      'mapItemDone',
      'releaseExecutions',
      'releaseSlot',
      'reserveExecutions',
      'setWebhookRoutes',
      'unlock',
    ]);
  });

  it('every script compiles in Redis, and a call with the wrong number of keys is refused', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      for (const [name, script] of Object.entries(scripts)) {
        // SCRIPT LOAD compiles without running: a syntax error fails here.
        const sha = await redis.script('LOAD', script.source);
        expect(sha, name).toMatch(/^[0-9a-f]{40}$/);
      }
      const script = new RedisScript(scripts.releaseSlot);
      await expect(script.run(redis, ['only-one-key'], [0, 0, 0, '', ''])).rejects.toThrow(
        'script takes 3 keys, got 1',
      );
    } finally {
      await redis.quit();
    }
  });
});
