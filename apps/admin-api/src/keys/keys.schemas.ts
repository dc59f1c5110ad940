import { z } from 'zod';
import { listOf, q } from '../http/query.js';
import { ROLES } from '../auth/roles.js';

export const CreateKeyBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .describe('Who or what uses the key, e.g. `ops-alice` or `grafana`.'),
    role: z.enum(ROLES).describe('viewer < operator < admin.'),
  })
  .meta({ example: { name: 'ops-alice', role: 'operator' } });
export type CreateKeyBody = z.output<typeof CreateKeyBody>;

export const ListKeysQuery = z.strictObject({
  includeRevoked: q.bool(false).describe('Also list revoked keys.'),
});

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES),
    keyPrefix: z.string().describe('Non-secret head of the key, to tell keys apart.'),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('Updated at most once a minute.'),
  })
  .meta({
    example: {
      id: '0b5f0f2e-6a53-4cf3-a8a7-1d0f5d0c9a11',
      name: 'ops-alice',
      role: 'operator',
      keyPrefix: 'gsk_3fa2b1c0',
      createdAt: '2024-03-01T10:00:00.000Z',
      createdBy: 'bootstrap-admin [ext_1a2b3c4d]',
      revokedAt: null,
      lastUsedAt: '2024-03-01T10:05:00.000Z',
    },
  });
export type ApiKeyView = z.infer<typeof ApiKeySchema>;

export const CreatedKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret. Shown only in this response; store it now.'),
}).meta({
  example: {
    id: '0b5f0f2e-6a53-4cf3-a8a7-1d0f5d0c9a11',
    name: 'ops-alice',
    role: 'operator',
    keyPrefix: 'gsk_3fa2b1c0',
    createdAt: '2024-03-01T10:00:00.000Z',
    createdBy: 'bootstrap-admin [ext_1a2b3c4d]',
    revokedAt: null,
    lastUsedAt: null,
    key: 'gsk_3fa2b1c0_q8Vb2k7xT0nJm3HcW9rYz1LpA5sD6fG4hK8eU2iO0wE',
  },
});

export const KeyListSchema = listOf(ApiKeySchema);

/** The caller's own key: who the console signed in as and what it may do (never the secret). */
export const CallerSchema = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    keyPrefix: z.string().describe('Non-secret head of the key.'),
    actor: z.string().describe('How the caller shows up in the audit log.'),
  })
  .meta({
    example: {
      name: 'ops-alice',
      role: 'operator',
      keyPrefix: 'gsk_3fa2b1c0',
      actor: 'ops-alice [gsk_3fa2b1c0]',
    },
  });
