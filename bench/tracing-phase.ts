import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTAKE_QUEUE } from '@app/contracts';
import { deliveryRun, log, rateCell, type DeliveryRun } from './measure';
import type { Sizes } from './options';
import { formatNumber, type Row } from './report';
import type { Stack } from './stack';

/**
 * The cost of tracing: the same burst to one endpoint through a notifier with tracing off (the
 * default) and one with OTEL_EXPORTER_OTLP_ENDPOINT set, exporting every span (the default
 * sampler; OTLP over HTTP, protobuf) to a local receiver that answers 200 at once. One notifier
 * at a time; the API is idle (producers publish over AMQP, so each message's trace starts at
 * intake).
 */
export async function tracingCost(
  stack: Stack,
  sizes: Sizes,
  notifierEnv: Record<string, string>,
): Promise<Row> {
  const { ctx } = stack;
  const receiver = await OtlpSink.start();
  try {
    const runs: DeliveryRun[] = [];
    for (const tracing of [false, true]) {
      const mode = tracing ? 'on' : 'off';
      log(`tracing ${mode}: ${sizes.single} messages to one endpoint`);
      await Promise.all(
        ctx.processes.filter((p) => p.name.startsWith('notifier')).map((p) => p.stop()),
      );
      stack.startNotifier(`notifier-tracing-${mode}`, {
        ...notifierEnv,
        ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } : {}),
      });
      await ctx.probe.waitForConsumers(INTAKE_QUEUE, 1, ctx.processes);
      await deliveryRun(ctx, 'warm-up', stack.ours('bench.single', `warmup-tr-${mode}`), 500, 500);
      runs.push(
        await deliveryRun(
          ctx,
          `tracing ${mode}`,
          stack.ours('bench.single', `tracing-${mode}`),
          sizes.single,
          sizes.single,
        ),
      );
    }
    const [off, on] = runs as [DeliveryRun, DeliveryRun];
    log(
      `  the receiver took ${receiver.requests} exports, ${formatNumber(receiver.bytes / 1024)} KiB`,
    );
    return {
      measure:
        `tracing: ${formatNumber(sizes.single)} messages -> 1 endpoint, tracing on vs off ` +
        `(OTLP/HTTP to a local receiver, every span sampled; rss on / off)`,
      platform: `${rateCell(on)} vs ${rateCell(off)} (${(on.perSecond / off.perSecond).toFixed(2)}x)`,
      naive: '',
      ratio: '',
      rss: `${on.rssMb.toFixed(0)} / ${off.rssMb.toFixed(0)}`,
      load: `${on.load} / ${off.load}`,
    };
  } finally {
    await receiver.stop();
  }
}

/** Takes OTLP exports (POST /v1/traces) and answers 200, counting what it was sent. */
class OtlpSink {
  requests = 0;
  bytes = 0;
  private readonly server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
    req.on('end', () => {
      this.requests += 1;
      res.writeHead(200).end();
    });
  });

  static async start(): Promise<OtlpSink> {
    const sink = new OtlpSink();
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
