import { z } from 'zod';

export const createAppSchema = z.object({
  name: z.string({ required_error: 'is required' }).trim().min(1).max(200),
});

export type CreateApp = z.infer<typeof createAppSchema>;
