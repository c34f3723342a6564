/**
 * Starts the whole platform once for the system tests, against the real Postgres, Redis and
 * NATS on their standard local ports (override with DATABASE_URL / REDIS_URL / NATS_URL), on free
 * ports, with a NATS namespace of its own so runs never see each other's events.
 */
import { randomBytes } from 'node:crypto';
import type { NatsEventBus } from '@app/events';
import type { TestProject } from 'vitest/node';
import { FREE_PORTS, startPlatform } from '../scripts/platform.js';
import { testAdmin, testEnv } from './support/env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    urls: Record<string, string>;
    env: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  const env: Record<string, string> = {
    ...testEnv(),
    NATS_NAMESPACE: `t${randomBytes(5).toString('hex')}`,
    ADMIN_USERNAME: testAdmin.username,
    ADMIN_PASSWORD: testAdmin.password,
    // Shared by auth and every gateway a test starts (the LINE webhook's internal calls).
    INTERNAL_API_KEY: randomBytes(32).toString('base64url'),
  };
  const platform = await startPlatform({ env, ports: FREE_PORTS });
  project.provide('gatewayUrl', platform.gatewayUrl);
  project.provide('urls', platform.urls);
  project.provide('env', env);
  return async () => {
    await platform.close();
    const { NatsEventBus } = await import('@app/events');
    const bus = await NatsEventBus.connect({ url: env.NATS_URL, namespace: env.NATS_NAMESPACE });
    await (bus as NatsEventBus).deleteNamespaceStreams();
    await bus.close();
  };
}
