import type { Trigger } from '../api/types.js';

/** A trigger as the workflow page lists it; a webhook's secret is only ever a yes/no. */
export interface TriggerLine {
  kind: string;
  /** `POST /orders/new`, `0 * * * * (Europe/Paris)`, `order.created`. */
  text: string;
  /** A webhook's URL path: `/api/webhooks/<tenant>/<path>` (after any mount prefix). */
  url?: string;
  /** A webhook that takes only signed deliveries. */
  signed?: boolean;
}

/** The path a webhook trigger is served at, for a tenant. */
export function webhookUrl(tenantId: string, path: string): string {
  return `/api/webhooks/${encodeURIComponent(tenantId)}/${path.replace(/^\/+/, '')}`;
}

/**
 * A line of text for a trigger: a webhook's method and path (and whether it is signed —
 * never the secret, nor which vault entry holds it), a schedule's cron and time zone, an
 * event's name. A kind this page does not know reads as its `type`.
 */
export function triggerLine(trigger: Trigger, tenantId: string): TriggerLine {
  switch (trigger.type) {
    case 'webhook': {
      const path = `/${trigger.path.replace(/^\/+/, '')}`;
      return {
        kind: 'webhook',
        text: `${trigger.method ?? 'POST'} ${path}`,
        url: webhookUrl(tenantId, trigger.path),
        signed: trigger.secret !== undefined && trigger.secret !== null,
      };
    }
    case 'schedule':
      return {
        kind: 'schedule',
        text: trigger.timezone
          ? `${trigger.cron} (${trigger.timezone})`
          : `${trigger.cron} (no time zone set)`,
      };
    case 'event':
      return { kind: 'event', text: trigger.event };
    default: {
      const kind = String((trigger as { type?: unknown }).type ?? 'unknown');
      return { kind, text: kind };
    }
  }
}

/** The distinct kinds of a workflow's triggers, in first-seen order (`webhook, schedule`). */
export function triggerKinds(triggers: readonly Trigger[] | undefined): string[] {
  const kinds: string[] = [];
  for (const t of triggers ?? []) {
    const kind = String((t as { type?: unknown }).type ?? 'unknown');
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}
