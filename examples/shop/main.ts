import { loadShopConfig } from '../config';
import { startShop } from './shop';

/** `npm run example:shop` */
async function main(): Promise<void> {
  const config = loadShopConfig();
  const shop = await startShop(config);
  console.log(`shop on ${shop.url}: POST /orders {"item":"book","amount":12}`);
  if (config.demoIntervalMs > 0)
    console.log(`placing a demo order every ${config.demoIntervalMs} ms`);
  const stop = () => void shop.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`shop failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
