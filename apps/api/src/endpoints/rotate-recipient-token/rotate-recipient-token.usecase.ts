import { Injectable } from '@nestjs/common';
import { AppError, Clock, hashToken, newSecretToken } from '@app/common';
import { EndpointRepository } from '@app/dal';
import { RECIPIENT_TOKEN_PREFIX } from '../../auth/principal';
import type { RotateRecipientTokenCommand } from './rotate-recipient-token.command';

/**
 * A new inbox credential. The previous token stops working at once: rotating is what one does
 * when a token leaked, and there is no signature to verify side by side as with secrets.
 */
@Injectable()
export class RotateRecipientTokenUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly clock: Clock,
  ) {}

  async execute({
    appId,
    endpointId,
  }: RotateRecipientTokenCommand): Promise<{ recipientToken: string }> {
    const recipientToken = newSecretToken(RECIPIENT_TOKEN_PREFIX);
    const updated = await this.endpoints.replaceRecipientToken(
      appId,
      endpointId,
      hashToken(recipientToken),
      this.clock.now(),
    );
    if (updated === null) throw AppError.notFound('Endpoint', endpointId);
    return { recipientToken };
  }
}
