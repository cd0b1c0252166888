// What the whiteboard accepts as a page background: checked by its first bytes, against the type it claims, and
// by size, before anything is sent (src/collab/whiteboard/files.ts).
import { describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES, readFile, sniff } from '../../src/collab/whiteboard/files.js';
import { AgoraError } from '../../src/client/errors.js';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
const PDF = [...Buffer.from('%PDF-1.4\n%…')];
const bytes = (b: number[]) => new Uint8Array(b);

describe('whiteboard files', () => {
  it('knows PNG, JPEG, GIF, WebP and PDF by their first bytes, and nothing else', () => {
    expect(sniff(bytes(PNG))).toBe('image/png');
    expect(sniff(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniff(bytes([...Buffer.from('GIF89a')]))).toBe('image/gif');
    expect(sniff(bytes([...Buffer.from('RIFF\0\0\0\0WEBPVP8 ')]))).toBe('image/webp');
    expect(sniff(bytes(PDF))).toBe('application/pdf');
    expect(sniff(bytes([...Buffer.from('RIFF\0\0\0\0WAVEfmt ')]))).toBeNull();
    expect(sniff(bytes([...Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">')]))).toBeNull();
    expect(sniff(bytes([]))).toBeNull();
  });

  it('reads a file that is what it claims; refuses a mismatch, an unknown kind, an empty or oversized file (2)', async () => {
    expect((await readFile(new Blob([bytes(PNG)], { type: 'image/png' }))).kind).toBe('image/png');
    // No claimed type: the content decides.
    expect((await readFile(new Blob([bytes(PDF)]))).kind).toBe('application/pdf');
    const refused = async (b: Blob) => {
      try {
        await readFile(b);
        return 'ok';
      } catch (e) {
        return e instanceof AgoraError ? `${e.code} ${e.message}` : String(e);
      }
    };
    expect(await refused(new Blob([bytes(PDF)], { type: 'image/png' }))).toMatch(
      /^2 .*claims to be image\/png/,
    );
    expect(await refused(new Blob(['<svg/>'], { type: 'image/svg+xml' }))).toMatch(/^2 Only PNG/);
    expect(await refused(new Blob([]))).toMatch(/^2 .*empty/);
    expect(await refused(new Blob([new Uint8Array(MAX_FILE_BYTES + 1)], { type: 'image/png' }))).toMatch(
      /^2 .*up to 5 MB/,
    );
  });
});
