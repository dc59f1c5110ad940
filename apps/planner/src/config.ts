import { commonShape, env, type ConfigOf } from '#gridshift/config';

/** Environment of apps/planner (see the README's configuration table). */
export const plannerConfigShape = {
  ...commonShape,
  PORT: env.int(1, 65535, 3102),
  MIGRATE_ON_BOOT: env.bool(true),
} as const;

export type PlannerConfig = ConfigOf<typeof plannerConfigShape>;
