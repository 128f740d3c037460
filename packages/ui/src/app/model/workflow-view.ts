import type { NodeDefinition, StoredWorkflow } from '../api/types.js';
import { formatDuration } from './status.js';

/** How many characters of a version (a content hash) the pages show. */
export const SHORT_VERSION = 12;

/** The first {@link SHORT_VERSION} characters of a version. */
export function shortVersion(version: string): string {
  return version.slice(0, SHORT_VERSION);
}

/** A date and time for people, or a dash for a missing or unreadable one. */
export function formatWhen(iso: string | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toLocaleString();
}

/** One entry of the version picker. */
export interface VersionOption {
  version: string;
  label: string;
  current: boolean;
}

/**
 * The version picker's entries, newest first, from `GET /api/workflows/:id/versions`
 * (oldest first): the short version and when it was saved, the current one marked.
 */
export function versionOptions(
  items: readonly Pick<StoredWorkflow, 'version' | 'createdAt'>[],
  currentVersion: string | undefined,
  when: (iso: string) => string = formatWhen,
): VersionOption[] {
  return items
    .slice()
    .reverse()
    .map((item) => {
      const current = item.version === currentVersion;
      const label = `${shortVersion(item.version)} · ${when(item.createdAt)}${current ? ' (current)' : ''}`;
      return { version: item.version, label, current };
    });
}

type Retry = NonNullable<NodeDefinition['retry']>;

/** A retry policy in words: `3 attempts, exponential backoff from 500 ms (at most 10 s)`. */
export function retryText(retry: Retry | undefined): string | undefined {
  if (!retry) return undefined;
  const attempts = `${retry.attempts} attempt${retry.attempts === 1 ? '' : 's'}`;
  const b = retry.backoff;
  if (!b) return retry.attempts > 1 ? `${attempts}, retried at once` : attempts;
  const cap = b.maxDelayMs === undefined ? '' : ` (at most ${formatDuration(b.maxDelayMs)})`;
  const wait = formatDuration(b.delayMs);
  return b.type === 'fixed'
    ? `${attempts}, ${wait} apart${cap}`
    : `${attempts}, exponential backoff from ${wait}${cap}`;
}

/** A timeout in words (`30.0 s`), or undefined when none is set. */
export function timeoutText(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : formatDuration(ms);
}

/**
 * A node setting as shown: the node's own, else the workflow's default marked as such, else
 * `fallback`.
 */
export function withDefault(
  own: string | undefined,
  inherited: string | undefined,
  fallback: string,
): string {
  if (own !== undefined) return own;
  if (inherited !== undefined) return `${inherited} (workflow default)`;
  return fallback;
}
