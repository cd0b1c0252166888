// `npm run docs`: the API reference (TypeDoc, from the JSDoc) in dist/docs, served by `npm start` at /docs/.
// The manual names every method and event in Chinese with its API name, e.g. "加入 AgoraRTC 频道(join)": each
// one's page gets that name (and TypeDoc's search finds it, in either language), and the page "手册 (manual)"
// lists them all, linked to the reference, in the manual's order. `--if-missing` builds only when absent.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Application, Comment, Converter, ReflectionKind, Renderer } from 'typedoc';

const root = new URL('..', import.meta.url).pathname;
/** The API part of the manual's table of contents (reference/agora-native-sdk-for-web-1.7.zh.txt), kept here. */
export const MANUAL_TOC = `${root}docs/manual-toc.zh.txt`;

/**
 * The manual's API entries in order: `{ zh, name, owner }`, owner being the TypeDoc path of what `name` belongs to
 * (AgoraRTC's functions are the package's exports, the events are ClientEvents' members).
 */
export function manualEntries(toc = readFileSync(MANUAL_TOC, 'utf8')) {
  const entries = [];
  let owner = null;
  for (const raw of toc.split('\n')) {
    const line = raw.replace(/[.\s\d]+$/, '').trim();
    if (/^AgoraRTC 接口类/.test(line)) owner = [];
    else if (/^Client 接口类/.test(line)) owner = ['Client'];
    else if (/^Stream 接口类/.test(line)) owner = ['Stream'];
    else if (/^附录/.test(line)) owner = null;
    const m = owner && /^(.+?)\s*[(（]\s*([\w-]+)\s*[)）]$/.exec(line);
    if (!m) continue;
    const [, zh, name] = m;
    const path = zh.endsWith('事件') ? ['ClientEvents', name] : [...owner, name];
    entries.push({ zh: zh.trim(), name, path });
  }
  return entries;
}

/** Builds the reference into `out`; returns how many manual entries were linked and which were not found. */
export async function buildDocs(out = `${root}dist/docs`) {
  const entries = manualEntries();
  const work = `${root}dist/docs-src`;
  mkdirSync(work, { recursive: true });
  const index = `${work}/manual.md`;
  writeFileSync(
    index,
    [
      '---',
      'title: 手册 (manual)',
      '---',
      '# 手册 (manual) → API',
      '',
      'The methods and events of the Agora Native SDK for Web 1.7 manual, by their Chinese names, linked to this',
      'reference. Search finds them in either language.',
      '',
      '| 手册 (manual) | API |',
      '|---|---|',
      ...entries.map((e) => `| ${e.zh} (${e.name}) | {@link ${e.path.join('.')} ${e.path.join('.')}} |`),
      '',
    ].join('\n'),
  );
  const app = await Application.bootstrapWithPlugins({
    entryPoints: [`${root}src/index.ts`],
    tsconfig: `${root}tsconfig.sdk-types.json`,
    out,
    name: 'agora-rtc-web',
    readme: `${root}README.md`,
    projectDocuments: [index],
    // One entry point: its exports are the project's top level (documents would otherwise add a module level).
    alwaysCreateEntryPointModule: false,
    searchInComments: true,
    excludePrivate: true,
    excludeInternal: true,
    logLevel: 'Warn',
    validation: { notExported: false, invalidLink: true },
  });
  const missing = [];
  /** The reflection of each manual entry → the text its search entry gets. */
  const zhOf = new Map();
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const e of entries) {
      const r = context.project.getChildByName(e.path);
      if (!r) {
        missing.push(e.path.join('.'));
        continue;
      }
      zhOf.set(r, `${e.zh} ${e.name}`);
      // "加入 AgoraRTC 频道 (join)" heads the description, so the page and the search show the manual's name.
      r.comment ??= new Comment();
      const target = r.kindOf(ReflectionKind.FunctionOrMethod) ? (r.signatures?.[0] ?? r) : r;
      target.comment ??= new Comment();
      target.comment.summary.unshift({ kind: 'text', text: `**${e.zh} (${e.name})** — 手册 (manual)\n\n` });
    }
  });
  // TypeDoc's search (lunr) trims every character that is not [A-Za-z0-9_] from the ends of each word, which
  // leaves nothing of a Chinese word: each word goes in wrapped as `z加入z` (the search looks for `*加入*`), and the
  // Chinese of each name also goes in without spaces, so "加入频道" finds join as well as "加入 AgoraRTC 频道".
  app.renderer.on(Renderer.EVENT_PREPARE_INDEX, (event) => {
    event.searchFieldWeights.zh = 10;
    event.searchResults.forEach((r, i) => {
      const zh = zhOf.get(r);
      if (!zh) return;
      const cjk = zh.replace(/\p{ASCII}+/gu, '');
      event.searchFields[i] = {
        ...event.searchFields[i],
        zh: [...zh.split(/\s+/), cjk].map((w) => `z${w}z`).join(' '),
      };
    });
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the project');
  await app.generateDocs(project, out);
  if (app.logger.hasErrors()) throw new Error('TypeDoc reported errors');
  return { linked: entries.length - missing.length, missing };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(process.argv.includes('--if-missing') && existsSync(`${root}dist/docs/index.html`))) {
    const { linked, missing } = await buildDocs();
    console.log(`dist/docs: API reference, ${linked} of the manual's methods and events linked`);
    if (missing.length) console.warn(`not in the API (no page to link): ${missing.join(', ')}`);
  }
}
