import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError, ErrorCode, bearerMatches } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';

/** GET /metrics is open unless METRICS_TOKEN is set; then it wants that token as a bearer. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (bearerMatches(request.headers.authorization, this.config.metrics.token)) return true;
    throw new AppError(
      ErrorCode.Unauthorized,
      'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>" (the token the API was started with)',
    );
  }
}
