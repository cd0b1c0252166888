// The demo pages come with the App ID the server prints at start-up, so they work with one click.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEMO_APP_ID } from '../../server/app.js';

it('/ and /demo/sample.html are pre-filled with the static demo App ID the server prints', () => {
  for (const file of ['index.html', 'demo/sample.js']) {
    const ids = readFileSync(file, 'utf8').match(/'([0-9a-f]{32})'/g);
    expect(ids, file).toEqual([`'${DEMO_APP_ID}'`]);
  }
});
