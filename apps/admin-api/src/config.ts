import { commonShape, env, type ConfigOf } from '#gridshift/config';

/** Environment of apps/admin-api (see the README's configuration table). */
export const adminApiConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3100),
  MIGRATE_ON_BOOT: env.bool(true),
} as const;

export type AdminApiConfig = ConfigOf<typeof adminApiConfigShape>;
