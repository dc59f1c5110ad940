import { commonShape, loadConfig } from '#gridshift/config';
import { createDataSource, migrate, revert } from '../data-source.js';

/** `npm run migrate` applies pending migrations; `-- --revert [N]` reverts the last N (default all). */
async function main(): Promise<void> {
  const { DATABASE_URL, DATABASE_SCHEMA } = loadConfig({
    DATABASE_URL: commonShape.DATABASE_URL,
    DATABASE_SCHEMA: commonShape.DATABASE_SCHEMA,
  });
  const dataSource = createDataSource({ url: DATABASE_URL, schema: DATABASE_SCHEMA, poolMax: 2 });
  await dataSource.initialize();
  try {
    const i = process.argv.indexOf('--revert');
    if (i >= 0) {
      const steps = process.argv[i + 1] ? Number(process.argv[i + 1]) : Number.POSITIVE_INFINITY;
      const count = await revert(dataSource, steps);
      process.stdout.write(`reverted ${count} migration(s) in schema ${DATABASE_SCHEMA}\n`);
    } else {
      const applied = await migrate(dataSource);
      process.stdout.write(
        applied.length === 0
          ? `schema ${DATABASE_SCHEMA} is up to date\n`
          : `applied ${applied.length} migration(s) in schema ${DATABASE_SCHEMA}: ${applied.join(', ')}\n`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
