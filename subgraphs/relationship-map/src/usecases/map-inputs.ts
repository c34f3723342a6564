import { z } from 'zod';
import { MAX_NODES_CHOICES } from './preferences-view.js';

export const maxNodesSchema = z
  .number({ error: 'maxNodes must be 6, 9 or 12' })
  .refine((n) => (MAX_NODES_CHOICES as readonly number[]).includes(n), 'maxNodes must be 6, 9 or 12');

const CONTROL = /[\u0000-\u001f\u007f]/;
const codePoints = (s: string) => [...s].length;

/** One line of user text, trimmed, 1..max characters (code points, so 40 kanji are 40). */
export const labelText = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .trim()
    .refine((s) => codePoints(s) >= 1, `${label} must not be empty`)
    .refine((s) => codePoints(s) <= max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${label} must not contain control characters`);

export const optionalLabelText = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .trim()
    .refine((s) => codePoints(s) <= max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), `${label} must not contain control characters`)
    .nullish()
    .transform((s) => (s ? s : null));

export const DISTANCES = ['NEAR', 'MID', 'FAR'] as const;

export const generateMapInput = z.object({
  nodes: z
    .array(
      z.object({
        id: labelText('Node id', 64),
        label: labelText('Label', 40),
        customLabel: optionalLabelText('Custom label', 40),
        userHint: z
          .enum(DISTANCES, { error: 'userHint must be NEAR, MID or FAR' })
          .nullish()
          .transform((v) => v ?? null),
      }),
      { error: 'nodes must be a list' },
    )
    .min(1, 'A map needs at least one node')
    .superRefine((nodes, ctx) => {
      const seen = new Set<string>();
      nodes.forEach((node, i) => {
        if (seen.has(node.id))
          ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `Node id "${node.id}" is used twice: ids must be unique` });
        seen.add(node.id);
      });
    }),
  maxNodes: maxNodesSchema.nullish(),
  jitterEnabled: z.boolean({ error: 'jitterEnabled must be a boolean' }).nullish(),
  seed: z
    .string({ error: 'seed must be a string' })
    .min(1, 'seed must not be empty')
    .max(128, 'seed must be at most 128 characters')
    .nullish(),
});
export type GenerateMapInput = z.infer<typeof generateMapInput>;
