import {
  EmailChannel,
  HttpGatewayProvider,
  SmsChannel,
  TargetGuard,
  TwilioProvider,
  WebhookChannel,
  type NotificationChannel,
  type SmsProviderOrReason,
} from '@app/channels';
import type { NotifierConfig } from '@app/config';
import type { Channel } from '@app/contracts';

function smsProvider(config: NotifierConfig): SmsProviderOrReason {
  switch (config.smsProvider) {
    case 'http':
      return config.smsGatewayUrl === undefined
        ? { unavailable: 'SMS is not configured: set SMS_GATEWAY_URL (SMS_PROVIDER=http)' }
        : new HttpGatewayProvider(config.smsGatewayUrl);
    case 'twilio':
      // The config schema refuses to boot with SMS_PROVIDER=twilio and a credential missing.
      return config.twilio === undefined
        ? {
            unavailable:
              'SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM',
          }
        : new TwilioProvider(config.twilio);
  }
}

/** Every channel this notifier delivers through, built from its configuration. */
export function buildChannels(config: NotifierConfig): Map<Channel, NotificationChannel> {
  return new Map<Channel, NotificationChannel>([
    ['webhook', new WebhookChannel(new TargetGuard(config.targetAllowlist))],
    ['email', new EmailChannel({ smtpUrl: config.smtpUrl, from: config.smtpFrom })],
    ['sms', new SmsChannel(smsProvider(config))],
  ]);
}
