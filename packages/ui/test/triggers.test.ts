import { describe, expect, it } from 'vitest';
import type { Trigger } from '../src/app/api/types.js';
import { triggerKinds, triggerLine, webhookUrl } from '../src/app/model/triggers.js';

describe('triggerLine', () => {
  it('shows a webhook as method and path, POST by default, with its URL path', () => {
    expect(triggerLine({ type: 'webhook', path: 'orders/new' }, 'acme')).toEqual({
      kind: 'webhook',
      text: 'POST /orders/new',
      url: '/api/webhooks/acme/orders/new',
      signed: false,
    });
    expect(triggerLine({ type: 'webhook', path: '/hook', method: 'PUT' }, 'default')).toMatchObject(
      { text: 'PUT /hook', url: '/api/webhooks/default/hook' },
    );
  });

  it('says a webhook with a secret is signed, and never shows the secret', () => {
    const literal = triggerLine({ type: 'webhook', path: 'a', secret: 'hunter2-value' }, 't');
    const ref = triggerLine({ type: 'webhook', path: 'a', secret: { $secret: 'vault-name' } }, 't');
    for (const line of [literal, ref]) {
      expect(line.signed).toBe(true);
      expect(JSON.stringify(line)).not.toMatch(/hunter2|vault-name/);
    }
  });

  it('shows a schedule as its cron and time zone', () => {
    expect(
      triggerLine({ type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Paris' }, 't'),
    ).toEqual({ kind: 'schedule', text: '0 9 * * 1 (Europe/Paris)' });
    expect(triggerLine({ type: 'schedule', cron: '*/5 * * * *' }, 't').text).toBe(
      '*/5 * * * * (no time zone set)',
    );
  });

  it('does not show a schedule’s initial data', () => {
    const line = triggerLine(
      { type: 'schedule', cron: '* * * * *', initialData: { token: 'abc-secret' } },
      't',
    );
    expect(JSON.stringify(line)).not.toContain('abc-secret');
  });

  it('shows an event by its name', () => {
    expect(triggerLine({ type: 'event', event: 'order.created' }, 't')).toEqual({
      kind: 'event',
      text: 'order.created',
    });
  });

  it('reads a kind it does not know as its type', () => {
    expect(triggerLine({ type: 'mqtt', topic: 'x' } as unknown as Trigger, 't')).toEqual({
      kind: 'mqtt',
      text: 'mqtt',
    });
  });
});

describe('webhookUrl', () => {
  it('encodes the tenant and drops leading slashes of the path', () => {
    expect(webhookUrl('a b', '//x/y')).toBe('/api/webhooks/a%20b/x/y');
  });
});

describe('triggerKinds', () => {
  it('lists each kind once, in first-seen order', () => {
    const triggers: Trigger[] = [
      { type: 'schedule', cron: '* * * * *' },
      { type: 'webhook', path: 'a' },
      { type: 'schedule', cron: '0 * * * *' },
      { type: 'event', event: 'e' },
    ];
    expect(triggerKinds(triggers)).toEqual(['schedule', 'webhook', 'event']);
  });

  it('is empty without triggers', () => {
    expect(triggerKinds(undefined)).toEqual([]);
    expect(triggerKinds([])).toEqual([]);
  });
});
