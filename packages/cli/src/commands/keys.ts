import type { ApiKeyInfo, ApiKeyScope } from '../api-types.js';
import { type Command, type CommandGroup, EXIT, type OptionSpec, UsageError } from '../command.js';
import { formatTable, formatTime, writeJson, writeLines } from '../output.js';

const SCOPES: readonly ApiKeyScope[] = ['read', 'execute', 'admin'];
const EXPIRES = /^[1-9][0-9]{0,5}[mhdw]$/;

const tenantOption: OptionSpec = {
  type: 'string',
  value: '<tenant>',
  description: "another tenant than the key's own (configured admin keys only)",
};

/** `--scopes read,execute` as a list of scopes. @throws UsageError */
function parseScopes(text: unknown): ApiKeyScope[] {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new UsageError('missing --scopes (a comma-separated list of read, execute, admin)');
  }
  const scopes = [...new Set(text.split(',').map((s) => s.trim()))];
  const unknown = scopes.filter((s) => !SCOPES.includes(s as ApiKeyScope));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scope '${unknown[0]}' in --scopes (read, execute, admin)`);
  }
  return scopes as ApiKeyScope[];
}

function statusOf(key: ApiKeyInfo): string {
  if (key.revokedAt !== undefined) return `revoked ${formatTime(key.revokedAt)}`;
  return key.expired ? 'expired' : 'active';
}

const create: Command = {
  name: 'create',
  summary: 'Create an API key (printed once, never again)',
  description:
    'Prints the key alone on stdout (KEY=$(spane keys create ...)) and what it is on\n' +
    'stderr; only its hash is stored, so keep it now. With --json, the whole answer.\n' +
    'A new key may not do more, nor live longer, than the key creating it.',
  options: {
    scopes: {
      type: 'string',
      value: '<list>',
      description: 'what it may do: read, execute, admin, comma-separated (required)',
    },
    expires: {
      type: 'string',
      value: '<duration>',
      description:
        'lifetime: a number and m, h, d or w, e.g. 30d (at most 730 days; default never)',
    },
    name: { type: 'string', value: '<name>', description: 'a label shown in keys list' },
    tenant: tenantOption,
  },
  async run({ client, io, json }, { options }) {
    const scopes = parseScopes(options.scopes);
    const { expires, name, tenant } = options as Record<string, string | undefined>;
    if (expires !== undefined && !EXPIRES.test(expires)) {
      throw new UsageError(
        `--expires must be a number and m, h, d or w, e.g. 30d (got '${expires}')`,
      );
    }
    const created = await client.createApiKey({
      scopes,
      ...(name === undefined ? {} : { name }),
      ...(expires === undefined ? {} : { expiresIn: expires }),
      ...(tenant === undefined ? {} : { tenant }),
    });
    if (json) {
      writeJson(io.stdout, created);
      return EXIT.OK;
    }
    const expiry = created.expiresAt ? `expires ${formatTime(created.expiresAt)}` : 'never expires';
    writeLines(
      io.stderr,
      `created API key ${created.id} for tenant ${created.tenantId}: ${created.scopes.join(',')}, ${expiry}`,
      'It is shown this once and cannot be shown again (only its hash is stored): keep it now.',
    );
    writeLines(io.stdout, created.key);
    return EXIT.OK;
  },
};

const list: Command = {
  name: 'list',
  summary: "List the tenant's API keys created through the API, newest first",
  description: 'Never shows a key: its first 12 characters (PREFIX) tell keys apart.',
  options: { tenant: tenantOption },
  async run({ client, io, json }, { options }) {
    const items = await client.listApiKeys(options.tenant as string | undefined);
    if (json) {
      writeJson(io.stdout, items);
    } else if (items.length === 0) {
      writeLines(io.stdout, 'no API keys (create one: spane keys create --scopes read)');
    } else {
      const rows = items.map((k) => [
        k.id,
        k.prefix,
        k.name ?? '-',
        k.scopes.join(','),
        formatTime(k.createdAt),
        formatTime(k.expiresAt),
        statusOf(k),
      ]);
      io.stdout.write(
        formatTable(['ID', 'PREFIX', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'STATUS'], rows),
      );
    }
    return EXIT.OK;
  },
};

function revokeCommand(name: string, summary: string): Command {
  return {
    name,
    summary,
    description:
      'The key stops working at once on the server that answers, and within a few\n' +
      'seconds (its key cache time, 5 s by default) on every other API process.',
    args: [{ name: 'id', description: 'the key id (key_…), as keys list shows it' }],
    options: { tenant: tenantOption },
    async run({ client, io, json }, { args, options }) {
      await client.revokeApiKey(args.id!, options.tenant as string | undefined);
      if (json) writeJson(io.stdout, { id: args.id, revoked: true });
      else writeLines(io.stdout, `revoked ${args.id}`);
      return EXIT.OK;
    },
  };
}

/** `spane keys create|list|revoke|rm`. */
export const keysGroup: CommandGroup = {
  name: 'keys',
  summary: 'Create, list and revoke API keys (admin)',
  commands: [
    create,
    list,
    revokeCommand('revoke', 'Revoke an API key'),
    revokeCommand('rm', 'Revoke an API key (the same as revoke)'),
  ],
};
