import { localMongoHolder } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const mongo = localMongoHolder.__localMongo;
  localMongoHolder.__localMongo = undefined;
  await mongo?.stop();
}
