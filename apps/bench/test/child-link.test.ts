import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChildProcessLink } from '../src/child-link.js';

const ENTRY = fileURLToPath(new URL('./fixtures/echo-child.ts', import.meta.url));

type Command = { cmd: 'ping' | 'fail' | 'exit' };
type Reply = { kind: 'pong'; at: Map<string, number> } | { kind: 'error'; message: string };

/** The bench's link to its child processes (each implementation's, the scale-out's). */
describe('ChildProcessLink', () => {
  it('gets a reply by kind (Maps survive), and fails every wait once the child exits', async () => {
    const link = new ChildProcessLink<Command, Reply>(ENTRY, {});
    try {
      const pong = await link.ask('pong', { cmd: 'ping' });
      expect(pong.at.get('k')).toBe(1);
      await expect(link.ask('pong', { cmd: 'exit' })).rejects.toThrow(/exited \(3\)/);
      // Later waits fail at once.
      await expect(link.ask('pong', { cmd: 'ping' })).rejects.toThrow(/exited \(3\)/);
    } finally {
      link.child.kill();
    }
  });

  it("an error reply fails the wait with the child's message", async () => {
    const link = new ChildProcessLink<Command, Reply>(ENTRY, {});
    try {
      await expect(link.ask('pong', { cmd: 'fail' })).rejects.toThrow('asked to fail');
    } finally {
      link.child.kill();
    }
  });
});
