import { isObject } from './raw-definition.js';
import type { IssueList } from './validation-issue-list.js';

const CRON_FIELD = /^[0-9A-Za-z*?,/#LW-]+$/;

/** Reports invalid cron expressions and time zones of schedules, and webhooks declared twice. */
export function checkTriggers(triggers: unknown, issues: IssueList): void {
  if (!Array.isArray(triggers)) return;
  const webhooks = new Set<string>();
  triggers.forEach((t: unknown, i) => {
    if (!isObject(t)) return;
    if (t.type === 'schedule') {
      checkSchedule(t, i, issues);
    } else if (t.type === 'webhook' && typeof t.path === 'string') {
      const key = `${typeof t.method === 'string' ? t.method : 'POST'} ${t.path.replace(/^\/+|\/+$/g, '')}`;
      if (webhooks.has(key)) {
        issues.error(
          `/triggers/${i}/path`,
          'DUPLICATE_WEBHOOK',
          `webhook '${key}' is declared twice`,
        );
      }
      webhooks.add(key);
    }
  });
}

function checkSchedule(t: Record<string, unknown>, i: number, issues: IssueList): void {
  if (typeof t.cron === 'string') {
    const fields = t.cron.trim().split(/\s+/);
    if (fields.length < 5 || fields.length > 6 || !fields.every((f) => CRON_FIELD.test(f))) {
      issues.error(
        `/triggers/${i}/cron`,
        'INVALID_CRON',
        `'${t.cron}' is not a cron expression of 5 or 6 fields`,
      );
    }
  }
  if (typeof t.timezone === 'string' && !isTimeZone(t.timezone)) {
    issues.error(
      `/triggers/${i}/timezone`,
      'INVALID_TIMEZONE',
      `'${t.timezone}' is not a known IANA time zone`,
    );
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
