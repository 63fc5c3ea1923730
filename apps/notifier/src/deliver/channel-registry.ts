import type { NotificationChannel } from '@app/channels';
import type { Channel } from '@app/contracts';

/** The adapters this notifier can deliver through, by channel name. */
export abstract class ChannelRegistry {
  abstract get(channel: Channel): NotificationChannel | undefined;
}

export class MapChannelRegistry extends ChannelRegistry {
  constructor(private readonly channels: ReadonlyMap<Channel, NotificationChannel>) {
    super();
  }

  get(channel: Channel): NotificationChannel | undefined {
    return this.channels.get(channel);
  }
}
