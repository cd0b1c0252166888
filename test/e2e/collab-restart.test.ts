// The signaling server keeps a channel's whiteboard only in memory: when it restarts, the members' SDKs send the
// board back after their automatic rejoin, so someone joining afterwards still sees everything drawn before.
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { APP_ID, openPage, until } from './harness.js';
import { outageSuite } from './setup.js';

const suite = outageSuite();

type C = {
  C: {
    join(a: string, c: string, o: object): Promise<number>;
    items(): Array<{ id: string; tool: string }>;
    client: {
      connectionState: string;
      whiteboard: {
        addShape(...a: unknown[]): string;
        beginStroke(t: string, x: number, y: number): { add(x: number, y: number): void; end(): void };
      };
    };
  };
};

async function member(): Promise<Page> {
  const p = await openPage(suite.browser, `${suite.pages.url}/test-pages/collab.html`);
  await p.waitForFunction(() => (window as unknown as { collabLoaded?: boolean }).collabLoaded === true);
  await p.evaluate(
    ([app, url]) => (window as unknown as C).C.join(app, 'restart board', { signalingUrl: url }),
    [APP_ID, suite.signaling.wsUrl] as const,
  );
  return p;
}

const items = (p: Page) => p.evaluate(() => (window as unknown as C).C.items().map((i) => i.tool));

test('after a server restart the members put the board back; a later joiner sees what was drawn before and during the outage', async () => {
  const a = await member();
  const b = await member();
  await a.evaluate(() => {
    const s = (window as unknown as C).C.client.whiteboard.beginStroke('pen', 10, 10);
    s.add(50, 50);
    s.end();
  });
  await b.evaluate(() => (window as unknown as C).C.client.whiteboard.addShape('rect', 5, 5, 90, 90));
  await until(
    async () => (await items(a)).length === 2 && (await items(b)).length === 2,
    10_000,
    'both items',
  );

  await suite.signaling.kill();
  await until(
    () => a.evaluate(() => (window as unknown as C).C.client.connectionState === 'RECONNECTING'),
    10_000,
    'A reconnecting',
  );
  // Drawn while the server is away: kept locally, sent after the rejoin.
  await a.evaluate(() => (window as unknown as C).C.client.whiteboard.addShape('ellipse', 0, 0, 40, 40));
  await suite.signaling.start();
  for (const p of [a, b])
    await until(
      () => p.evaluate(() => (window as unknown as C).C.client.connectionState === 'CONNECTED'),
      20_000,
      'reconnected',
    );
  await until(async () => (await items(b)).length === 3, 15_000, 'B gets the shape drawn during the outage');

  const late = await member();
  await until(async () => (await items(late)).length === 3, 15_000, 'late joiner sees the restored board');
  expect((await items(late)).sort()).toEqual(['ellipse', 'pen', 'rect']);
  for (const p of [a, b, late]) await p.context().close();
});
