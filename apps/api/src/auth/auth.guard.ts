import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  applyDecorators,
  UseGuards,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError, Clock, ErrorCode, hashToken } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { AppRepository, EndpointRepository, isDatabaseUnreachable, MongoHealth } from '@app/dal';
import { AuthFailureLimiter, clientKey } from './auth-failure-limiter';
import { KnownCredentials } from './known-credentials';
import { RECIPIENT_TOKEN_PREFIX, type Principal, type PrincipalKind } from './principal';

const ALLOWED = 'auth:allowed';

type AuthenticatedRequest = Request & { principal?: Principal };

/** Marks a route with who may call it: the admin key, an app key or a recipient token. */
export function Auth(...kinds: PrincipalKind[]) {
  return applyDecorators(SetMetadata(ALLOWED, kinds), UseGuards(AuthGuard), ApiBearerAuth());
}

/** The calling app's id, on routes open to app keys only. */
export const CurrentAppId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (principal?.kind !== 'app')
      throw new AppError(ErrorCode.Forbidden, 'An app key is required');
    return principal.appId;
  },
);

/** The endpoint whose inbox a recipient token reads, on routes open to recipient tokens only. */
export const CurrentRecipient = createParamDecorator(
  (_: unknown, context: ExecutionContext): { appId: string; endpointId: string } => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (principal?.kind !== 'recipient')
      throw new AppError(ErrorCode.Forbidden, 'A recipient token is required');
    return { appId: principal.appId, endpointId: principal.endpointId };
  },
);

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminKeyDigest: Buffer | undefined;
  private readonly known = new KnownCredentials();

  constructor(
    private readonly reflector: Reflector,
    private readonly apps: AppRepository,
    private readonly endpoints: EndpointRepository,
    private readonly failures: AuthFailureLimiter,
    private readonly clock: Clock,
    private readonly mongo: MongoHealth,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.adminKeyDigest = config.adminApiKey === undefined ? undefined : sha256(config.adminApiKey);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed =
      this.reflector.getAllAndOverride<PrincipalKind[] | undefined>(ALLOWED, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    if (token === undefined) {
      throw new AppError(
        ErrorCode.Unauthorized,
        'Missing credentials: send "Authorization: Bearer <key>"',
      );
    }
    const principal = await this.identify(token);
    if (principal === undefined) {
      // Valid credentials always pass: many clients may share this address (a NAT, a proxy).
      const client = clientKey(request.ip ?? request.socket.remoteAddress);
      this.failures.check(client);
      this.failures.recordFailure(client);
      throw new AppError(ErrorCode.Unauthorized, 'Unknown credentials: check the key or token');
    }
    if (!allowed.includes(principal.kind)) {
      throw new AppError(
        ErrorCode.Forbidden,
        `This route needs ${allowed.map(describe).join(' or ')}; these credentials are ${describe(principal.kind)}`,
      );
    }
    request.principal = principal;
    return true;
  }

  private async identify(token: string): Promise<Principal | undefined> {
    // Compared as digests so the comparison is constant-time whatever the lengths.
    if (this.adminKeyDigest !== undefined && timingSafeEqual(sha256(token), this.adminKeyDigest)) {
      return { kind: 'admin' };
    }
    const hash = hashToken(token);
    const now = this.clock.now();
    // No member can be read (the driver would wait out its server selection timeout first):
    // what this process checked lately, else 503, never a 401 for a key MongoDB may well know.
    if (!this.mongo.isReadable) return this.recall(hash, now);
    let found: { principal: Principal; expiresAt?: Date } | undefined;
    try {
      found = await this.lookUp(token, hash, now);
    } catch (error) {
      if (isDatabaseUnreachable(error)) return this.recall(hash, now);
      throw error;
    }
    if (found === undefined) this.known.forget(hash);
    else this.known.remember(hash, found.principal, now.getTime(), found.expiresAt);
    return found?.principal;
  }

  private async lookUp(
    token: string,
    hash: string,
    now: Date,
  ): Promise<{ principal: Principal; expiresAt?: Date } | undefined> {
    if (token.startsWith(`${RECIPIENT_TOKEN_PREFIX}_`)) {
      const endpoint = await this.endpoints.findByRecipientTokenHash(hash);
      return endpoint === null
        ? undefined
        : { principal: { kind: 'recipient', appId: endpoint.appId, endpointId: endpoint._id } };
    }
    // The app's current key, or the one a rotation replaced during its grace period.
    const app = await this.apps.findByApiKeyHash(hash, now);
    if (app === null) return undefined;
    const previous = app.apiKeyHash !== hash;
    return {
      principal: { kind: 'app', appId: app._id },
      expiresAt: previous ? (app.previousApiKeyExpiresAt ?? undefined) : undefined,
    };
  }

  private recall(hash: string, now: Date): Principal {
    const principal = this.known.recall(hash, now.getTime());
    if (principal !== undefined) return principal;
    throw AppError.unavailable('MongoDB', 'the credentials cannot be checked');
  }
}

function bearerToken(request: Request): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function describe(kind: PrincipalKind): string {
  switch (kind) {
    case 'admin':
      return 'the admin key';
    case 'app':
      return 'an app key';
    case 'recipient':
      return 'a recipient token';
  }
}
