import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

export type IdPrefix = 'app' | 'ep' | 'msg' | 'dlv' | 'att' | 'evt';

/**
 * Time-ordered (UUIDv7) so ids sort roughly by creation, prefixed so a stray id says what it is.
 * Message ids that producers must agree on are in @app/contracts (message-id.ts).
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}

/** A bearer credential: shown once, stored only as its hash. */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
