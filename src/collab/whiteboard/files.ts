// Files as page backgrounds: images (PNG, JPEG, GIF, WebP) and PDF pages. A file travels inside the channel's
// document in CHUNK_BYTES pieces (each its own update, so no frame exceeds the server's update limit), is checked
// to be what it claims by its first bytes, and is decoded only where it is shown. PDF.js (pdfjs-dist, copied
// beside the SDK as agora-rtc-pdf.mjs and its worker) is loaded the first time a PDF is opened.
import type * as Y from 'yjs';
import { yjs } from '../yjs.js';
import { AgoraError } from '../../client/errors.js';
import { assetUrl } from '../../client/assets.js';

/** Largest file (the server keeps a channel's whole document under 8 MB by default). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Bytes per chunk: one chunk per document update, below the 30 KB an update may carry. */
export const CHUNK_BYTES = 24 * 1024;
/** Most PDF pages made into whiteboard pages at once. */
export const MAX_PDF_PAGES = 50;

export type FileKind = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf';

/** The type the bytes say they are, or null for anything else. */
export function sniff(head: Uint8Array): FileKind | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((b, k) => head[i + k] === b);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf';
  return null;
}

/** Reads and checks a file: within the size cap, a kind we show, and the kind its `type` claims (if any). */
export async function readFile(file: Blob): Promise<{ kind: FileKind; bytes: Uint8Array<ArrayBuffer> }> {
  if (file.size === 0) throw new AgoraError('ERR_INVALID_ARGUMENT', 'The file is empty.');
  if (file.size > MAX_FILE_BYTES)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `The file is ${(file.size / 1048576).toFixed(1)} MB; the whiteboard takes files up to ${MAX_FILE_BYTES / 1048576} MB.`,
    );
  const bytes = new Uint8Array(await file.arrayBuffer());
  const kind = sniff(bytes);
  if (!kind)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      'Only PNG, JPEG, GIF and WebP images and PDF files can be opened.',
    );
  if (file.type && file.type !== kind)
    throw new AgoraError(
      'ERR_INVALID_ARGUMENT',
      `The file claims to be ${file.type} but its content is ${kind}; it was not opened.`,
    );
  return { kind, bytes };
}

/** Writes a file into the document's file map as chunks, one transaction each. Returns its id. */
export function storeFile(
  doc: Y.Doc,
  files: Y.Map<Y.Map<unknown>>,
  id: string,
  kind: FileKind,
  bytes: Uint8Array,
  origin: unknown,
): void {
  const entry = new (yjs().Map)<unknown>();
  entry.set('type', kind);
  entry.set('size', bytes.length);
  const chunks = new (yjs().Array)<Uint8Array>();
  entry.set('chunks', chunks);
  doc.transact(() => files.set(id, entry), origin);
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES)
    doc.transact(() => chunks.push([bytes.slice(i, i + CHUNK_BYTES)]), origin);
}

/** The file's bytes once all its chunks are here, else null. */
export function fileBytes(
  entry: Y.Map<unknown> | undefined,
): { kind: FileKind; bytes: Uint8Array<ArrayBuffer> } | null {
  if (!entry) return null;
  const size = Number(entry.get('size'));
  const chunks = entry.get('chunks') as Y.Array<Uint8Array> | undefined;
  if (!chunks || !(size > 0)) return null;
  const parts = chunks.toArray();
  const total = parts.reduce((n, c) => n + c.length, 0);
  if (total !== size) return null;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of parts) {
    bytes.set(c, at);
    at += c.length;
  }
  // What others sent is checked again: only kinds we decode are decoded.
  const kind = sniff(bytes);
  return kind && kind === entry.get('type') ? { kind, bytes } : null;
}

interface PdfJs {
  GlobalWorkerOptions: { workerSrc: string };
  getDocument(src: { data: Uint8Array; isEvalSupported: boolean }): { promise: Promise<PdfDoc> };
}
interface PdfDoc {
  numPages: number;
  getPage(n: number): Promise<{
    getViewport(o: { scale: number }): { width: number; height: number };
    render(o: { canvas: HTMLCanvasElement | OffscreenCanvas; viewport: unknown }): { promise: Promise<void> };
  }>;
}

let pdfjs: Promise<PdfJs> | null = null;

/**
 * PDF.js, loaded once, the first time a PDF is opened: the published build, copied beside the SDK (an app that
 * re-bundles the SDK serves agora-rtc-pdf.mjs and its worker beside its bundle; bundlers leave this URL alone).
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (
    import(/* @vite-ignore */ /* webpackIgnore: true */ assetUrl('agora-rtc-pdf.mjs')) as Promise<PdfJs>
  ).then(
    (m) => {
      m.GlobalWorkerOptions.workerSrc = assetUrl('agora-rtc-pdf.worker.mjs');
      return m;
    },
    (e: unknown) => {
      pdfjs = null;
      throw new AgoraError(
        'ERR_LOAD_MEDIA_ENGINE',
        `The PDF module could not be loaded from ${assetUrl('')}.`,
        {
          cause: e,
        },
      );
    },
  );
  return pdfjs;
}

const docs = new WeakMap<Uint8Array, Promise<PdfDoc>>();

export async function pdfPageCount(bytes: Uint8Array): Promise<number> {
  return (await openPdf(bytes)).numPages;
}

function openPdf(bytes: Uint8Array): Promise<PdfDoc> {
  let d = docs.get(bytes);
  if (!d) {
    // PDF.js takes ownership of the buffer it is given: it gets a copy.
    d = loadPdfJs().then((m) => m.getDocument({ data: bytes.slice(), isEvalSupported: false }).promise);
    docs.set(bytes, d);
  }
  return d;
}

/** A decoded background: an image, or one PDF page rendered at `scale` board units per PDF point. */
export async function decode(
  file: { kind: FileKind; bytes: Uint8Array<ArrayBuffer> },
  pdfPage: number,
  scale = 1.5,
): Promise<ImageBitmap> {
  if (file.kind !== 'application/pdf') return createImageBitmap(new Blob([file.bytes], { type: file.kind }));
  const doc = await openPdf(file.bytes);
  const page = await doc.getPage(pdfPage + 1);
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(viewport.width);
  canvas.height = Math.ceil(viewport.height);
  await page.render({ canvas, viewport }).promise;
  return createImageBitmap(canvas);
}
