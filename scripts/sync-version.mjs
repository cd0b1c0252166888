// `npm version <new>` runs this (the "version" script): package.json holds the version, and src/version.ts, which
// the SDK and its service worker report as AgoraRTC.VERSION, is rewritten from it. The CHANGELOG's Unreleased
// section becomes the new version's. test/unit/package.test.ts checks that the three agree.
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
writeFileSync(
  new URL('src/version.ts', root),
  `/** The SDK's version (this package's; set by \`npm version\`, see scripts/sync-version.mjs). */\nexport const VERSION = '${version}';\n`,
);
const changelogUrl = new URL('CHANGELOG.md', root);
const changelog = readFileSync(changelogUrl, 'utf8');
if (!changelog.includes(`## [${version}]`)) {
  const today = new Date().toISOString().slice(0, 10);
  writeFileSync(
    changelogUrl,
    changelog.replace('## [Unreleased]\n', `## [Unreleased]\n\n## [${version}] - ${today}\n`),
  );
}
