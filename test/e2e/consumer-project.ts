// Throwaway projects that install the packed SDK, for the consumer tests and the tree-shaking bench.
//
// Installing: the run's network namespace has no registry, and `npm install --offline` cannot resolve version
// ranges from npm's cache (it keeps tarballs, not the metadata). So this does what npm's install does with the
// tarball itself: unpacks it as node_modules/agora-rtc-web and links each dependency the packed package.json
// declares from this repo's node_modules (installed by npm ci from the same ranges). A dependency missing from
// package.json is then missing in the project too, since the projects live outside this repo.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const repo = resolve('.');

/** `npm pack` of the current build into `dir`; returns the tarball's path. */
export async function packSdk(dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--ignore-scripts', '--json']);
  return join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

/** A project `dir` with the packed SDK installed, and `devLinks` (its own devDependencies, e.g. @types/node). */
export async function installSdk(dir: string, tarball: string, devLinks: string[] = []): Promise<string> {
  const sdk = join(dir, 'node_modules', 'agora-rtc-web');
  mkdirSync(sdk, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ private: true, type: 'module', dependencies: { 'agora-rtc-web': `file:${tarball}` } }),
  );
  await run('tar', ['-xzf', tarball, '-C', sdk, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...devLinks]) {
    const at = join(dir, 'node_modules', dep);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(join(repo, 'node_modules', dep), at, 'dir');
  }
  return dir;
}
