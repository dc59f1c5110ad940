import type { ValueTransformer } from 'typeorm';

/** bigint/bigserial columns come back from pg as strings; epochs and ids here stay far below 2^53. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
