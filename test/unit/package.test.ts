// The package as npm publishes it: what `npm pack` ships, the license, the version and the changelog. Needs the
// build (npm test builds first).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  license: string;
  exports: Record<string, string | Record<string, string>>;
};

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
  const [info] = JSON.parse(out) as { files: { path: string }[] }[];
  return info!.files.map((f) => f.path).sort();
}

describe('npm package', () => {
  const files = packedFiles();

  test('npm pack ships the built SDK, its types, the server and the docs, and no test, source, scratch or config file', () => {
    const allowed = [
      /^(README|CHANGELOG)\.md$/,
      /^LICENSE$/,
      /^package\.json$/,
      /^dist\/custom-elements\.json$/,
      /^dist\/sdk\/[\w.-]+\.js(\.map)?$/,
      // PDF.js as published, loaded by the whiteboard when a PDF is opened.
      /^dist\/sdk\/agora-rtc-pdf(\.worker)?\.mjs$/,
      /^dist\/sdk\/types\/[\w/.-]+\.d\.ts$/,
      /^dist\/node\/(server|server\/cluster|server\/sfu|src\/protocol)\/[\w.-]+\.(js|d\.ts)$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    expect(
      files.filter((f) =>
        /(^|\/)(tests?|bench|e2e|scratch)\/|\.(test|bench)\.|config|eslint|vitest|\.ts$(?<!\.d\.ts)/.test(f),
      ),
    ).toEqual([]);
    for (const must of [
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'dist/sdk/agora-rtc.js',
      'dist/sdk/agora-rtc-worker.js',
    ])
      expect(files).toContain(must);
  });

  test('every export and its types are in the package', () => {
    const targets = Object.values(pkg.exports).flatMap((e) =>
      typeof e === 'string' ? [e] : Object.values(e),
    );
    expect(targets.length).toBeGreaterThan(8);
    for (const t of targets) expect(files).toContain(t.replace(/^\.\//, ''));
    for (const entry of ['.', './iife', './components', './server'])
      expect(pkg.exports[entry]).toHaveProperty('types');
  });

  test('every file the ES bundle loads on demand (chunks, the worker) is in the package, beside it', () => {
    const seen = new Set<string>();
    const todo = ['agora-rtc.js', 'agora-components.js'];
    while (todo.length) {
      const name = todo.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      expect(files).toContain(`dist/sdk/${name}`);
      const code = readFileSync(`dist/sdk/${name}`, 'utf8');
      const refs = code.matchAll(/(?:import\(|from|new URL\()\s*["'`]\.\/([\w.-]+\.js)["'`]/g);
      for (const [, ref] of refs) todo.push(ref!);
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'agora-rtc-crypto.js',
        'agora-rtc-worker.js',
        'agora-rtc-recording.js',
        'agora-rtc-webm.js',
        'agora-rtc-agent.js',
        'agora-rtc-calltest.js',
      ]),
    );
  });

  test('LICENSE is the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/^MIT License\n/);
  });

  test('the version is one: package.json, AgoraRTC.VERSION and the changelog agree', () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(readFileSync('src/version.ts', 'utf8')).toContain(`export const VERSION = '${pkg.version}';`);
    const changelog = readFileSync('CHANGELOG.md', 'utf8');
    expect(changelog).toContain('## [Unreleased]');
    expect(changelog).toMatch(
      new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
    );
    // Keep a Changelog: only its kinds of change as subsections.
    for (const [, kind] of changelog.matchAll(/^### (.+)$/gm))
      expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(kind);
    expect(existsSync('dist/sdk/agora-rtc.js')).toBe(true);
  });
});
