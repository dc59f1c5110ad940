import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderContractDocs, topicJsonSchema } from './docs.js';
import { TOPICS } from './constants.js';

// The one unit test that reads files: the checked-in docs must equal a fresh render (read-only, no network).
const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'contracts');

describe('docs/contracts', () => {
  const files = renderContractDocs();

  it('has exactly the generated files', () => {
    expect(readdirSync(docsDir).sort()).toEqual(Object.keys(files).sort());
  });

  it.each(Object.keys(files))('%s equals a fresh render (run scripts/gen-contracts.ts if not)', (name) => {
    expect(readFileSync(join(docsDir, name), 'utf8')).toBe(files[name]);
  });

  it('schemas carry an id, are closed and embed the examples', () => {
    for (const topic of Object.values(TOPICS)) {
      const schema = topicJsonSchema(topic);
      expect(schema.$id).toBe(`urn:gridshift:contract:${topic}`);
      expect(schema.additionalProperties).toBe(false);
      expect(Array.isArray(schema.examples) && schema.examples.length).toBeGreaterThan(0);
    }
  });

  it('the JSON Schema round-trips through zod and accepts its own examples', () => {
    for (const topic of Object.values(TOPICS)) {
      const schema = topicJsonSchema(topic);
      const fromJson = z.fromJSONSchema(schema);
      for (const example of schema.examples as unknown[])
        expect(fromJson.safeParse(example).success).toBe(true);
      expect(fromJson.safeParse({ ...(schema.examples as object[])[0], unexpected: 1 }).success).toBe(false);
    }
  });
});
