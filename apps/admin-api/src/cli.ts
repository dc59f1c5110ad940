/**
 * Admin CLI for API keys (works before any key exists):
 *   node dist/apps/admin-api/src/cli.js create-key --role admin --name ops-alice
 *   node dist/apps/admin-api/src/cli.js list-keys [--all]
 *   node dist/apps/admin-api/src/cli.js revoke-key --id <uuid> [--reason "…"]
 * Reads DATABASE_URL / DATABASE_SCHEMA like the API (and migrates when MIGRATE_ON_BOOT, default true).
 * The new key is the only thing written to stdout; everything else goes to stderr. Audited as actor `cli`.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { commonShape, ConfigError, env, loadConfig } from '#gridshift/config';
import { createDataSource, migrate } from '#gridshift/persistence';
import { ApiKeyCommands } from './keys/api-key.commands.js';
import { ROLES, type Role } from './auth/roles.js';

const USAGE = `usage:
  cli.js create-key --role viewer|operator|admin --name <name>
  cli.js list-keys [--all]
  cli.js revoke-key --id <uuid> [--reason <text>]`;

const shape = {
  DATABASE_URL: commonShape.DATABASE_URL,
  DATABASE_SCHEMA: commonShape.DATABASE_SCHEMA,
  MIGRATE_ON_BOOT: env.bool(true),
} as const;

function fail(message: string, code = 2): never {
  process.stderr.write(`admin-api cli: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!command || !['create-key', 'list-keys', 'revoke-key'].includes(command)) fail(USAGE);
  let config: ReturnType<typeof loadConfig<typeof shape>>;
  try {
    config = loadConfig(shape);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const db = createDataSource({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolMax: 2,
    applicationName: 'gridshift-admin-cli',
  });
  await db.initialize();
  try {
    if (config.MIGRATE_ON_BOOT) await migrate(db);
    const commands = new ApiKeyCommands(db);
    switch (command) {
      case 'create-key': {
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}\n${USAGE}`);
        const name = values.name?.trim();
        if (!name || name.length > 100) fail(`--name is required (1–100 characters)\n${USAGE}`);
        const created = await commands.create('cli', { name, role });
        process.stderr.write(
          `created ${created.role} key ${created.keyPrefix} (${created.name}, id ${created.id}); it is shown once:\n`,
        );
        process.stdout.write(`${created.key}\n`);
        break;
      }
      case 'list-keys': {
        for (const key of await commands.list(values.all ?? false)) {
          process.stdout.write(
            `${key.id}  ${key.keyPrefix.padEnd(13)} ${key.role.padEnd(8)} ${key.revokedAt ? 'revoked ' : 'active  '} ${key.name}\n`,
          );
        }
        break;
      }
      case 'revoke-key': {
        if (
          !values.id ||
          !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.id)
        ) {
          fail(`--id must be a key id (UUID; see list-keys)\n${USAGE}`);
        }
        const result = await commands.revoke('cli', values.id, values.reason);
        process.stderr.write(
          result.changed ? `revoked ${result.key.keyPrefix} (${result.key.name})\n` : 'already revoked\n',
        );
        break;
      }
      default:
        fail(USAGE);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
