// Redis and two signaling nodes on it, in this process, for the server's cluster tests.
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.js';
import { startRedis, type RedisInstance } from '../redis-server.js';

export interface NodesOnRedis {
  redis: RedisInstance;
  n1: RunningServer;
  n2: RunningServer;
}

/** Starts Redis and two nodes with `options` (their port, quiet and redisUrl set here) before the tests of the
 * file or block it is called in; stops them after. */
export function twoNodesOnRedis(options: ServerOptions = {}): NodesOnRedis {
  const nodes = {} as NodesOnRedis;
  beforeAll(async () => {
    nodes.redis = await startRedis();
    const start = () => startServer({ ...options, port: 0, quiet: true, redisUrl: nodes.redis.url });
    [nodes.n1, nodes.n2] = await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    await Promise.all([nodes.n1?.close(), nodes.n2?.close()]);
    await nodes.redis?.stop();
  });
  return nodes;
}
