import type { OnApplicationShutdown } from '@nestjs/common';
import type { NotificationChannel } from '@app/channels';
import type { Channel } from '@app/contracts';

/** The adapters this notifier can deliver through, by channel name. */
export abstract class ChannelRegistry {
  abstract get(channel: Channel): NotificationChannel | undefined;
}

export class MapChannelRegistry extends ChannelRegistry implements OnApplicationShutdown {
  constructor(private readonly channels: ReadonlyMap<Channel, NotificationChannel>) {
    super();
  }

  get(channel: Channel): NotificationChannel | undefined {
    return this.channels.get(channel);
  }

  /** Runs after NotifierLifecycle has let the attempts in flight finish. */
  onApplicationShutdown(): void {
    for (const channel of this.channels.values()) channel.close?.();
  }
}
