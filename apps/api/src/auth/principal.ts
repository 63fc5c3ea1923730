export type Principal =
  | { kind: 'admin' }
  | { kind: 'app'; appId: string }
  | { kind: 'recipient'; appId: string; endpointId: string };

export type PrincipalKind = Principal['kind'];

export const APP_KEY_PREFIX = 'ak';
export const RECIPIENT_TOKEN_PREFIX = 'rt';
