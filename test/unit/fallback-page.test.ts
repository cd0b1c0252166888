// The fallback page is for browsers that cannot run the SDK, so its own script must parse in old ones: ES3
// syntax only (acorn refuses anything newer), and nothing loaded besides the page itself.
import { readFileSync } from 'node:fs';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';

const html = readFileSync(new URL('../../public/agora-fallback.html', import.meta.url), 'utf8');
const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];

describe('/agora-fallback.html', () => {
  it('has one inline classic script, and it is ES3', () => {
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toBe(''); // no src, no type="module"
    expect(() => parse(scripts[0]![2]!, { ecmaVersion: 3 })).not.toThrow();
  });

  it('loads nothing else: no external script, style sheet or SDK', () => {
    expect(html).not.toMatch(/<link\b|\bsrc=|\/sdk\//);
  });

  it('has its text in both languages before any script runs', () => {
    expect(html).toContain('This browser cannot make calls');
    expect(html).toContain('此浏览器无法进行音视频通话');
  });
});
