// Throwaway projects that install the packed SDK, for the consumer tests and the tree-shaking bench.
//
// `npm pack`, then `npm install` of the tarball into a new project, as a developer does. The run's network namespace
// has no registry, and npm cannot resolve the tarball's version ranges from its cache alone (`npm install --offline`
// of the bare tarball fails). So the project gets a lockfile made from ours: the packages our own install resolved
// for these same dependencies (the entries npm marks non-dev), which npm then installs from the cache `npm ci` filled. A dependency the packed package.json does not
// declare is then missing in the project (the projects live outside this repo, and npm prunes what no one needs).
// The bundlers and tools (Vite, webpack, TypeScript) are ours, run against the project: they are not installed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const repo = resolve('.');

/** `npm pack` of the current build into `dir`; returns the tarball's path. */
export async function packSdk(dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--ignore-scripts', '--json']);
  return join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * A project `dir` where `npm install` put the packed SDK and its dependencies, with `devLinks` (tools of ours the
 * project uses, e.g. typescript) linked into its node_modules.
 */
export async function installSdk(dir: string, tarball: string, devLinks: string[] = []): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  const sdk = JSON.parse(stdout) as { name: string; version: string; dependencies?: Record<string, string> };
  const spec = `file:${relative(dir, tarball)}`;
  const ours = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, LockEntry> = {
    '': { dependencies: { [sdk.name]: spec } },
    [`node_modules/${sdk.name}`]: {
      version: sdk.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      ...(sdk.dependencies ? { dependencies: sdk.dependencies } : {}),
    },
  };
  for (const [path, entry] of Object.entries(ours.packages))
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ private: true, type: 'module', dependencies: { [sdk.name]: spec } }),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }),
  );
  // --offline: everything is in npm's cache after our `npm ci`; inside the namespace a miss would otherwise wait
  // for network timeouts, so it fails at once instead, naming what is missing (no update check either).
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-update-notifier'], { cwd: dir });
  for (const dep of devLinks) {
    const at = join(dir, 'node_modules', dep);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(join(repo, 'node_modules', dep), at, 'dir');
  }
  return dir;
}
